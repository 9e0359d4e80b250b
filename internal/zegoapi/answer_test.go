// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeDaily: a daily answer's Date (yyyyMMdd, a string or a number) is its day's 00:00
// UTC; a value with no usable Date fits no window and is counted invalid.
func TestDecodeDaily(t *testing.T) {
	body := `{"Code":0,"RequestId":"r","Data":[{"Metric":"publish_count","Values":[{"Date":"20261206","Value":"120"},{"Date":20261207,"Value":130.0},{"Date":"2026-12-08","Value":1},{"Date":"20261332","Value":1},{"Timestamp":1000,"Value":1},{"Date":"20261205","Value":null}]}]}`
	got, err := DecodeDaily([]byte(body))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(got.Series[0].Points[2].Value), "a null value at a usable Date")
	got.Series[0].Points[2].Value = unusable
	day := func(s string) int64 { d, _ := time.Parse("20060102", s); return d.UnixMilli() }
	assert.Equal(t, &Answer{RequestID: "r", Series: []Series{{"publish_count", []Point{{day("20261206"), 120}, {day("20261207"), 130}, {day("20261205"), unusable}}}}, Invalid: 3}, got)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *Answer
		wantErr string // for bodies that are not ZEGO's answer
	}{
		{
			// ZEGO's example: a bare RequestId beyond float64, Data an object holding Metrics.
			name: "example",
			body: `{"Code":0,"Message":"success","Data":{"Metrics":[{"Metric":"publish_concurrent","Values":[{"Timestamp":1660634097767,"Value":1000}]}]},"RequestId":1660645050860325001}`,
			want: &Answer{RequestID: "1660645050860325001", Series: []Series{{"publish_concurrent", []Point{{1660634097767, 1000}}}}},
		},
		{
			name: "Data as the documented array",
			body: `{"Code":0,"RequestId":"r","Data":[{"Metric":"play_concurrent","Values":[{"Timestamp":1000,"Value":5}]},{"Metric":"room_concurrent","Values":[]}]}`,
			want: &Answer{RequestID: "r", Series: []Series{{"play_concurrent", []Point{{1000, 5}}}, {Metric: "room_concurrent"}}},
		},
		{
			name: "numbers as floats or strings, fractions kept",
			body: `{"Code":"0","Data":{"Metrics":[{"Metric":"uplink_rtt","Values":[{"Timestamp":1.66e12,"Value":1000.0},{"Timestamp":"2000","Value":"37.25"},{"Timestamp":3000.0,"Value":0.5}]}]}}`,
			want: &Answer{Series: []Series{{"uplink_rtt", []Point{{1660000000000, 1000}, {2000, 37.25}, {3000, 0.5}}}}},
		},
		{
			name: "bad points are counted, not fatal",
			body: `{"Code":0,"Data":{"Metrics":[{"Metric":"online_user","Values":[{"Timestamp":1000,"Value":null},{"Timestamp":2000,"Value":true},{"Timestamp":3000,"Value":1e400},{"Timestamp":4000,"Value":"NaN"},{"Value":7},{"Timestamp":-5,"Value":7},7,null,{"Timestamp":5000,"Value":2}]}]}}`,
			// Four values unusable at usable times (NaN, counted by who takes their times), four
			// points without a usable time.
			want: &Answer{Series: []Series{{"online_user", []Point{{1000, unusable}, {2000, unusable}, {3000, unusable}, {4000, unusable}, {5000, 2}}}}, Invalid: 4},
		},
		{
			// GetRegionQualityDetail, no RequestId: a block as an object or an array of one; null, {}, []
			// and a missing block yield nothing; strings for numbers; a Rate and a block unusable; an
			// entry without Region, and a minute without a Timestamp, invalid.
			name: "regions",
			body: `{"Code":0,"Data":{"List":[{"Timestamp":"120000","QualityInfo":[{"Region":"巴西","P2pDelayDetail":{"Total":"12","Rate1":0.5,"Rate2":"x","Rate3":null},"P2pPlrDetail":[{"Total":3,"Rate1":1}],"VideoBreakDetail":null,"AudioBreakDetail":{},"VideoFFTDetail":[],"AudioFFTDetail":7,"LoginSuccessRateDetail":{"LoginSuccessRate":"0.98","LoginSuccessRate5s":0.9}},{"P2pDelayDetail":{"Total":1}},5]},{"QualityInfo":[{"Region":"中国"}]}]}}`,
			want: &Answer{Regions: []RegionQuality{{
				TimestampMs: 120000, Region: "巴西", LoginSuccessRate: ptr(0.98), LoginSuccessRate5s: ptr(0.9),
				Distributions: []Distribution{
					{Block: RegionBlocks[0], Total: 12, HasTotal: true, Shares: []Share{{"0-400ms", 0.5}}},
					{Block: RegionBlocks[1], Total: 3, HasTotal: true, Shares: []Share{{"0%", 1}}},
				},
				Invalid: 2, // the Rate "x" and the block 7
			}}, Invalid: 3},
		},
		{name: "no metrics", body: `{"Code":0,"RequestId":null,"Data":{"Metrics":[]}}`, want: &Answer{}},
		{name: "HTML", body: "<html><body>502 Bad Gateway</body></html>", wantErr: "not ZEGO's answer"},
		{name: "empty", body: "", wantErr: "not ZEGO's answer"},
		{name: "cut off", body: `{"Code":0,"Data":{"Metrics":[{"Metric":"online_user","Val`, wantErr: "not ZEGO's answer"},
		{name: "no Code", body: `{"Message":"success","Data":{"Metrics":[]}}`, wantErr: "no integer Code"},
		{name: "fractional Code", body: `{"Code":0.5}`, wantErr: "no integer Code"},
		{name: "not an object", body: `[{"Code":0}]`, wantErr: "not ZEGO's answer"},
		{name: "trailing data", body: `{"Code":0} x`, wantErr: "not ZEGO's answer"},
		{name: "Data of another shape", body: `{"Code":0,"Data":"none"}`, wantErr: "Data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				_, isAPIError := KindOf(err)
				assert.False(t, isAPIError, "a body that is not ZEGO's answer carries no code")
				return
			}
			require.NoError(t, err)
			for _, s := range got.Series {
				for i := range s.Points {
					if math.IsNaN(s.Points[i].Value) {
						s.Points[i].Value = unusable
					}
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// A non-zero Code is an *APIError classified by the table of return codes, the code given as
// a number or as a string.
func TestDecodeReturnCodes(t *testing.T) {
	tests := []struct {
		body      string
		kind      ErrorKind
		check     string
		requestID string
	}{
		{`{"Code":30002,"Message":"rate","RequestId":"r1","Data":null}`, KindRateLimited, "quota", "r1"},
		{`{"Code":"30002","Message":"rate"}`, KindRateLimited, "quota", ""},
		{`{"Code":500,"RequestId":1660645050860325002}`, KindTransient, "", "1660645050860325002"},
		{`{"Code":10002,"Message":"invalid StartTs","Data":[]}`, KindPermanent, "", ""},
		{`{"Code":100000000}`, KindPermanent, "endpoint", ""},
		{`{"Code":100000004}`, KindClockSkew, "", ""},
		{`{"Code":100000005}`, KindBadCredentials, "app_id and server_secret", ""},
		{`{"Code":100000007}`, KindPermanent, "metrics", ""},
		{`{"Code":100000010,"Message":"Failed to get ServerSecret"}`, KindBadCredentials, "app_id", ""},
		{`{"Code":100000012}`, KindTransient, "", ""},
		{`{"Code":100000015}`, KindTransient, "", ""},
		{`{"Code":100000016}`, KindPermanent, "is_test", ""},
		{`{"Code":123456,"Message":"something new"}`, KindTransient, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			var e *APIError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.kind, e.Kind)
			assert.Equal(t, tt.check, e.Check)
			assert.Equal(t, tt.requestID, e.RequestID)
			assert.NotEmpty(t, e.detail, "every code says what it means")
		})
	}
}

// FuzzGet feeds arbitrary answers through the client: it never panics, never returns both an
// answer and an error, and never accepts more than MaxBodyBytes.
func FuzzGet(f *testing.F) {
	f.Add([]byte(`{"Code":0,"RequestId":1660645050860325000,"Data":{"Metrics":[{"Metric":"online_user","Values":[{"Timestamp":1000,"Value":1}]}]}}`))
	f.Add([]byte(`{"Code":0,"Data":[{"Metrics":[{"Metric":"m","Values":[{"Timestamp":"1","Value":"2.5"}]}]}]}`))
	f.Add([]byte(`{"Code":0,"Data":{"List":[{"Timestamp":60000,"QualityInfo":[{"Region":"中国","P2pPlrDetail":[{"Total":"3","Rate1":1}]}]}]}}`))
	f.Add([]byte(`{"Code":100000010,"Message":"x"}`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body)%7 == 0 { // now and then, a body over the cap
			body = append(body, bytes.Repeat([]byte(" "), MaxBodyBytes)...)
		}
		c := newTestClient(t, "http://zego.test", roundTrip(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body)), Header: http.Header{}}, nil
		}))
		a, err := c.Get(t.Context(), testSecret, Query{Action: ActionUsage, Metrics: []string{"online_user"}})
		if (a == nil) == (err == nil) {
			t.Fatalf("answer %v and error %v", a, err)
		}
		if len(body) > MaxBodyBytes && (err == nil || !strings.Contains(err.Error(), "larger than")) {
			t.Fatalf("a body of %d bytes was not refused: %v", len(body), err)
		}
	})
}

func ptr(v float64) *float64 { return &v }

// unusable stands for NaN, which is equal to nothing, in the expected answers.
const unusable = math.MaxFloat64

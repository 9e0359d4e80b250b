package zegoapi

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pts(tsValue ...int64) []Point {
	if len(tsValue)%2 != 0 {
		panic("pts wants timestamp, value pairs")
	}
	var out []Point
	for i := 0; i < len(tsValue); i += 2 {
		out = append(out, Point{TimestampMs: tsValue[i], Value: tsValue[i+1]})
	}
	return out
}

// normalized makes empty slices nil so that expectations need not care which one the decoder
// produced.
func normalized(a *Answer) *Answer {
	if a == nil {
		return nil
	}
	out := &Answer{RequestID: a.RequestID, InvalidValues: a.InvalidValues}
	for _, s := range a.Series {
		ns := Series{Metric: s.Metric}
		if len(s.Points) > 0 {
			ns.Points = append([]Point(nil), s.Points...)
		}
		out.Series = append(out.Series, ns)
	}
	return out
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

func TestDecodeTestdata(t *testing.T) {
	tests := []struct {
		file string
		want *Answer
	}{
		{"example_zh.json", &Answer{RequestID: "1660645050860325000", Series: []Series{
			{Metric: MetricPublishConcurrent, Points: pts(1660634097767, 1000)},
			{Metric: MetricOnlineUser, Points: pts(1660634097767, 99999)},
		}}},
		{"data_array_metrics.json", &Answer{RequestID: "a1b2", Series: []Series{
			{Metric: MetricPlayConcurrent, Points: pts(1660634097000, 5, 1660634098000, 6)},
			{Metric: MetricRoomConcurrent, Points: pts(1660634097000, 2)},
		}}},
		{"data_array_containers.json", &Answer{RequestID: "c-7", Series: []Series{
			{Metric: MetricPublishConcurrent, Points: pts(1000, 1)},
			{Metric: MetricMixConcurrent, Points: pts(2000, 3)},
			{Metric: MetricMaxRoomUser},
		}}},
		{"requestid_string.json", &Answer{RequestID: "8e5f0e3c-1660645050860325000"}},
		{"requestid_absent.json", &Answer{Series: []Series{
			{Metric: MetricOnlineUser, Points: pts(1660634097767, 7)},
		}}},
		{"requestid_null.json", &Answer{}},
		{"float_values.json", &Answer{RequestID: "1", Series: []Series{
			{Metric: MetricPublishConcurrent, Points: pts(
				1000, 1000, 2000, 1000, 3000, 1000, 4000, 1000, 5000, 1000,
				6000, 3, // 2.5 rounds half away from zero
				7000, -2,
				8000, 2,
				9000, 0,
				10000, 9007199254740993, // beyond float64 precision: kept exact
				11000, math.MinInt64,
			)},
		}}},
		{"unsorted_repeated.json", &Answer{RequestID: "u", Series: []Series{
			{Metric: MetricOnlineUser, Points: pts(
				1660634099767, 3, 1660634097767, 1, 1660634098767, 2, 1660634097767, 1, 1660634097767, 4)},
			{Metric: MetricPublishConcurrent, Points: pts(1660634098000, 8, 1660634097000, 9)},
			{Metric: MetricOnlineUser, Points: pts(1660634100767, 5)},
		}}},
		{"unknown_nested.json", &Answer{RequestID: "r-12", Series: []Series{
			{Metric: MetricRoomConcurrent, Points: pts(1660634097767, 10, 1660634098767, 11)},
		}}},
		{"invalid_values.json", &Answer{RequestID: "iv", InvalidValues: 16, Series: []Series{
			{Metric: MetricPlayConcurrent, Points: pts(1000, 1, 13000, 2)},
		}}},
		{"timestamps.json", &Answer{RequestID: "ts", Series: []Series{
			{Metric: MetricMixConcurrent, Points: pts(
				1660634097767, 1, 1660634098767, 2, 1660634099767, 3, 1660634100767, 4, 1660000000000, 5)},
		}}},
		{"case_insensitive.json", &Answer{RequestID: "ci", Series: []Series{
			{Metric: MetricOnlineUser, Points: pts(1000, 3)},
		}}},
		{"bom.json", &Answer{RequestID: "bom", Series: []Series{
			{Metric: MetricOnlineUser, Points: pts(1000, 1)},
		}}},
		{"empty_data.json", &Answer{RequestID: "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Decode(readTestdata(t, tt.file))
			require.NoError(t, err)
			assert.Equal(t, normalized(tt.want), normalized(got))
		})
	}
}

func TestDecodeTestdataCodes(t *testing.T) {
	tests := []struct {
		file      string
		kind      ErrorKind
		code      int64
		message   string
		requestID string
	}{
		{"code_500.json", KindTransient, 500, "internal error", "1660645050860325001"},
		{"code_10001.json", KindPermanent, 10001, "param format error", "1660645050860325002"},
		{"code_10002.json", KindPermanent, 10002, "invalid StartTs", "r10002"},
		{"code_30002.json", KindRateLimited, 30002, "request frequency exceeds limit", "r30002"},
		{"code_100000004.json", KindClockSkew, 100000004, "signature expired", "r4"},
		{"code_100000005.json", KindBadCredentials, 100000005, "signature error", "r5"},
		{"code_unknown.json", KindTransient, 123456, "something new", "r?"},
		{"code_string.json", KindRateLimited, 30002, "rate", "rs"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := Decode(readTestdata(t, tt.file))
			assert.Nil(t, a)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.kind, apiErr.Kind)
			assert.Equal(t, tt.code, apiErr.Code)
			assert.Equal(t, tt.message, apiErr.Message)
			assert.Equal(t, tt.requestID, apiErr.RequestID)
		})
	}
}

func TestDecodeTestdataMalformed(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{"bad_truncated.json", "unexpected end of input"},
		{"bad_empty.json", "empty answer"},
		{"bad_html.html", "byte 0"},
		{"bad_trailing.json", "unexpected data after the answer"},
		{"bad_not_object.json", "not a JSON object"},
		{"bad_no_code.json", "no Code"},
		{"bad_code_fraction.json", "Code is not an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := Decode(readTestdata(t, tt.file))
			assert.Nil(t, a)
			require.Error(t, err)
			_, isAPI := KindOf(err)
			assert.False(t, isAPI, "a malformed body is a plain error; the client classifies it")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestDecodeQuirks covers the tolerance rules one by one, with small inline answers.
func TestDecodeQuirks(t *testing.T) {
	one := func(metric string, p ...int64) *Answer {
		return &Answer{Series: []Series{{Metric: metric, Points: pts(p...)}}}
	}
	tests := []struct {
		name string
		body string
		want *Answer // nil: an error is expected
	}{
		{"whitespace everywhere", " \r\n\t{ \"Code\" :\n0 ,\t\"Data\" : { \"Metrics\" : [ { \"Metric\" : \"x\" , \"Values\" : [ { \"Timestamp\" : 1 , \"Value\" : 2 } ] } ] } } \n", one("x", 1, 2)},
		{"key order reversed", `{"Data":{"Metrics":[{"Values":[{"Value":2,"Timestamp":1}],"Metric":"x"}]},"Code":0}`, one("x", 1, 2)},
		{"duplicate keys: first wins", `{"Code":0,"Code":500,"RequestId":"a","requestid":"b"}`, &Answer{RequestID: "a"}},
		{"duplicate point fields: first wins", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":2,"Value":3,"timestamp":9}]}]}}`, one("x", 1, 2)},
		{"escaped field names", `{"\u0043ode":0,"Data":{"Metrics":[{"Metric":"x","\u0056alues":[{"Timestamp":1,"Valu\u0065":2}]}]}}`, one("x", 1, 2)},
		{"escaped metric name", `{"Code":0,"Data":{"Metrics":[{"Metric":"online\u005fuser","Values":[]}]}}`, &Answer{Series: []Series{{Metric: MetricOnlineUser}}}},
		{"unicode metric name", `{"Code":0,"Data":{"Metrics":[{"Metric":"\u4e2d文\ud83d\ude00","Values":[]}]}}`, &Answer{Series: []Series{{Metric: "中文😀"}}}},
		{"Data object is itself a metric", `{"Code":0,"Data":{"Metric":"x","Values":[{"Timestamp":1,"Value":2}]}}`, one("x", 1, 2)},
		{"Metrics as a single object", `{"Code":0,"Data":{"Metrics":{"Metric":"x","Values":[{"Timestamp":1,"Value":2}]}}}`, one("x", 1, 2)},
		{"own series before nested when Metric comes first", `{"Code":0,"Data":[{"Metric":"a","Metrics":[{"Metric":"b"}]}]}`, &Answer{Series: []Series{{Metric: "a"}, {Metric: "b"}}}},
		{"own series after nested when Metric comes last", `{"Code":0,"Data":[{"Metrics":[{"Metric":"b"}],"Metric":"a"}]}`, &Answer{Series: []Series{{Metric: "b"}, {Metric: "a"}}}},
		{"Values null", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":null}]}}`, &Answer{Series: []Series{{Metric: "x"}}}},
		{"Values an object", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":{"Timestamp":1,"Value":2}}]}}`, &Answer{Series: []Series{{Metric: "x"}}}},
		{"Metric not a string", `{"Code":0,"Data":{"Metrics":[{"Metric":7,"Values":[{"Timestamp":1,"Value":2}]}]}}`, one("", 1, 2)},
		{"Data a string", `{"Code":0,"Data":"none"}`, &Answer{}},
		{"Data null", `{"Code":0,"Data":null}`, &Answer{}},
		{"Code 0.0", `{"Code":0.0}`, &Answer{}},
		{"Code 0e5", `{"Code":0e5}`, &Answer{}},
		{"Code -0", `{"Code":-0}`, &Answer{}},
		{"Code \"0\"", `{"Code":"0"}`, &Answer{}},
		{"Code \"\\u0030\"", `{"Code":"\u0030"}`, &Answer{}},
		{"RequestId negative float kept as text", `{"Code":0,"RequestId":-12.5e3}`, &Answer{RequestID: "-12.5e3"}},
		{"RequestId bool ignored", `{"Code":0,"RequestId":true}`, &Answer{}},
		{"RequestId with escapes", `{"Code":0,"RequestId":"a\"b\\c\/d\u00e9"}`, &Answer{RequestID: `a"b\c/dé`}},
		{"RequestId invalid UTF-8 replaced like encoding/json", "{\"Code\":0,\"RequestId\":\"a\xffb\"}", &Answer{RequestID: "a\uFFFDb"}},
		{"RequestId lone surrogate replaced", `{"Code":0,"RequestId":"\ud800x"}`, &Answer{RequestID: "\uFFFDx"}},
		{"Message not a string", `{"Code":0,"Message":{"text":"ok"}}`, &Answer{}},
		{"Timestamp rounded", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1.5,"Value":2}]}]}}`, one("x", 2, 2)},
		{"Value string skipped", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":"2"}]}]}}`, &Answer{InvalidValues: 1, Series: []Series{{Metric: "x"}}}},
		{"long integer beyond int64 skipped", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":123456789012345678901234567890}]}]}}`, &Answer{InvalidValues: 1, Series: []Series{{Metric: "x"}}}},
		{"float beyond 2^53 rounds like float64", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":9007199254740993.0}]}]}}`, one("x", 1, 9007199254740992)},
		{"MaxInt64 kept", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":9223372036854775807}]}]}}`, one("x", 1, math.MaxInt64)},
		{"tiny float is zero", `{"Code":0,"Data":{"Metrics":[{"Metric":"x","Values":[{"Timestamp":1,"Value":1e-400}]}]}}`, one("x", 1, 0)},

		{"Code absent", `{"Message":"success"}`, nil},
		{"Code null", `{"Code":null}`, nil},
		{"Code bool", `{"Code":false}`, nil},
		{"Code non-numeric string", `{"Code":"ok"}`, nil},
		{"Code string with space", `{"Code":" 0"}`, nil},
		{"Code too large", `{"Code":9223372036854775808}`, nil},
		{"Code infinite", `{"Code":1e400}`, nil},
		{"trailing comma in object", `{"Code":0,}`, nil},
		{"trailing comma in array", `{"Code":0,"x":[1,]}`, nil},
		{"unclosed", `{"Code":0`, nil},
		{"extra close", `{"Code":0}}`, nil},
		{"two values", `{"Code":0} {}`, nil},
		{"leading zero", `{"Code":01}`, nil},
		{"bare minus", `{"Code":-}`, nil},
		{"dot without digits", `{"Code":0,"x":.5}`, nil},
		{"dot at end", `{"Code":0,"x":1.}`, nil},
		{"exponent without digits", `{"Code":0,"x":1e}`, nil},
		{"plus sign", `{"Code":0,"x":+1}`, nil},
		{"NaN", `{"Code":0,"x":NaN}`, nil},
		{"bad literal", `{"Code":0,"x":tru}`, nil},
		{"control char in string", "{\"Code\":0,\"x\":\"a\x01\"}", nil},
		{"bad escape", `{"Code":0,"x":"\q"}`, nil},
		{"bad unicode escape", `{"Code":0,"x":"\u12G4"}`, nil},
		{"single quotes", `{'Code':0}`, nil},
		{"key without colon", `{"Code" 0}`, nil},
		{"non-string key", `{0:0}`, nil},
		{"BOM twice", "\xef\xbb\xbf\xef\xbb\xbf{\"Code\":0}", nil},
		{"BOM after space", " \xef\xbb\xbf{\"Code\":0}", nil},
		{"NUL after answer", "{\"Code\":0}\x00", nil},
		{"only whitespace", " \n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if tt.want == nil {
				require.Error(t, err)
				assert.Nil(t, got)
				// The reference decoder agrees that it is malformed.
				_, refErr := referenceDecode([]byte(tt.body))
				assert.Error(t, refErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, normalized(tt.want), normalized(got))
		})
	}
}

func TestDecodeErrorNamesOffset(t *testing.T) {
	tests := []struct {
		body   string
		offset string
	}{
		{`{"Code":0,"Message":"x"`, "byte 23"},
		{`{"Code":0,"x":[1,]}`, "byte 17"},
		{`{"Code":0} x`, "byte 11"},
		{"{\"Code\":0,\"x\":\"a\x01\"}", "byte 16"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body))
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.offset, tt.body)
	}
}

// TestDecodeDepthLimit checks that the scanner accepts exactly the nesting encoding/json does.
func TestDecodeDepthLimit(t *testing.T) {
	nested := func(arrays int) []byte {
		return []byte(`{"Code":0,"x":` + strings.Repeat("[", arrays) + strings.Repeat("]", arrays) + "}")
	}
	ok := nested(maxNestingDepth - 1) // the top object is one level
	require.True(t, json.Valid(ok))
	_, err := Decode(ok)
	assert.NoError(t, err)

	tooDeep := nested(maxNestingDepth)
	require.False(t, json.Valid(tooDeep))
	_, err = Decode(tooDeep)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nested deeper")
}

// TestDecodeIntoReuse decodes different answers into one Answer and checks each result matches
// a fresh decode: no stale series, points or counts survive, and no two series share storage.
func TestDecodeIntoReuse(t *testing.T) {
	files := []string{"unsorted_repeated.json", "example_zh.json", "invalid_values.json",
		"data_array_containers.json", "empty_data.json", "unsorted_repeated.json", "float_values.json"}
	var reused Answer
	for _, f := range files {
		body := readTestdata(t, f)
		fresh, err := Decode(body)
		require.NoError(t, err)
		require.NoError(t, DecodeInto(body, &reused), f)
		assert.Equal(t, normalized(fresh), normalized(&reused), f)
	}
	require.GreaterOrEqual(t, len(reused.Series), 1)

	// Appending to one series must not write into another's points.
	body := readTestdata(t, "unsorted_repeated.json")
	require.NoError(t, DecodeInto(body, &reused))
	want := normalized(&reused)
	for i := range reused.Series {
		reused.Series[i].Points = append(reused.Series[i].Points, Point{TimestampMs: -1, Value: -1})
	}
	for i := range reused.Series {
		assert.Equal(t, want.Series[i].Points, reused.Series[i].Points[:len(reused.Series[i].Points)-1])
	}
}

func TestDecodeIntoErrorThenSuccess(t *testing.T) {
	var a Answer
	require.NoError(t, DecodeInto(readTestdata(t, "example_zh.json"), &a))
	require.Error(t, DecodeInto(readTestdata(t, "bad_truncated.json"), &a))
	var apiErr *APIError
	require.ErrorAs(t, DecodeInto(readTestdata(t, "code_30002.json"), &a), &apiErr)
	require.NoError(t, DecodeInto(readTestdata(t, "requestid_absent.json"), &a))
	assert.Equal(t, &Answer{Series: []Series{{Metric: MetricOnlineUser, Points: pts(1660634097767, 7)}}}, normalized(&a))
}

// TestDecodeAllocations pins the hot-path promise: reusing an Answer costs no allocation per
// point or per series (only the RequestId string), and a fresh decode's allocations do not grow
// with the number of points.
func TestDecodeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1.8 MB answer")
	}
	steady := buildAnswer(steadyPoints)
	maxBody := buildAnswer(maxPoints)

	var a Answer
	require.NoError(t, DecodeInto(maxBody, &a))
	reuse := testing.AllocsPerRun(5, func() {
		if err := DecodeInto(maxBody, &a); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, reuse, 1.0, "DecodeInto with a warm Answer")

	fresh := func(body []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := Decode(body); err != nil {
				t.Fatal(err)
			}
		})
	}
	freshSteady, freshMax := fresh(steady), fresh(maxBody)
	t.Logf("allocs: reuse %.0f, fresh steady %.0f, fresh max %.0f", reuse, freshSteady, freshMax)
	// 40x the points may cost a few more slice doublings, not 40x the allocations.
	assert.Less(t, freshMax, freshSteady+15)
	assert.Less(t, freshMax, 50.0)
}

func TestDecodeNonZeroCodeIsAPIError(t *testing.T) {
	err := DecodeInto([]byte(`{"Code":30002,"Message":"slow down","RequestId":7}`), &Answer{})
	kind, ok := KindOf(err)
	require.True(t, ok)
	assert.Equal(t, KindRateLimited, kind)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "7", apiErr.RequestID)
	assert.Equal(t, "slow down", apiErr.Message)
	assert.Zero(t, apiErr.HTTPStatus)
}

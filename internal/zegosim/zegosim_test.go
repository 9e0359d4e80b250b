// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "9193cc662a4c0ec135ec71fb57194b38" //nolint:gosec // G101: ZEGO's worked example, for AppID 12345

var nonceSeq atomic.Uint64

// query is a call of AppID 12345 for the last 5 minutes, signed now with a fresh nonce.
func query(action string, metrics ...string) url.Values {
	return resign(url.Values{
		"Action": {action}, "AppId": {"12345"}, "SignatureNonce": {fmt.Sprintf("%016x", nonceSeq.Add(1))},
		"Timestamp": {unix(0)}, "SignatureVersion": {"2.0"}, "Metrics[]": metrics,
		"StartTs": {strconv.FormatInt(time.Now().Add(-5*time.Minute).UnixMilli(), 10)}, "EndTs": {"0"},
	}, secret)
}

func resign(q url.Values, secret string) url.Values {
	q.Set("Signature", sign(q.Get("AppId"), q.Get("SignatureNonce"), secret, q.Get("Timestamp")))
	return q
}

// set sets (or, for "", deletes) the parameters k, v, ...
func set(q url.Values, kv ...string) url.Values {
	for pair := range slices.Chunk(kv, 2) {
		if q.Del(pair[0]); pair[1] != "" {
			q.Set(pair[0], pair[1])
		}
	}
	return q
}

func unix(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }

type reply struct {
	Code      int
	RequestID json.RawMessage `json:"RequestId"`
	Data      json.RawMessage
	body      []byte
	date      string
}

// metrics decodes Data in either shape: an object holding Metrics, or an array.
func (r reply) metrics(t *testing.T) []series {
	var obj struct{ Metrics []series }
	if json.Unmarshal(r.Data, &obj) == nil {
		return obj.Metrics
	}
	var list []series
	require.NoError(t, json.Unmarshal(r.Data, &list))
	return list
}

// newSim serves AppID 12345 (unless cfg has Apps) in-process; call sends a query.
func newSim(cfg Config) (s *Server, call func(*testing.T, url.Values) reply) {
	if cfg.Apps == nil {
		cfg.Apps = map[uint32]string{12345: secret}
	}
	s = New(cfg)
	c := &http.Client{Transport: s.Transport()}
	return s, func(t *testing.T, q url.Values) reply {
		resp, body, err := send(t.Context(), c, http.MethodGet, "http://zegosim/?"+q.Encode(), "")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		r := reply{body: body, date: resp.Header.Get("Date")}
		require.NoError(t, json.Unmarshal(body, &r), "%s", body)
		return r
	}
}

func send(ctx context.Context, c *http.Client, method, url, body string) (*http.Response, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// TestAuthAndParams covers the answer to each bad call, then nonces and the clock.
func TestAuthAndParams(t *testing.T) {
	assert.Equal(t, "43e5cfcca828314675f91b001390566a", sign("12345", "4fd24687296dd9f3", secret, "1615186943"))
	synctest.Test(t, func(t *testing.T) {
		_, call := newSim(Config{PerMinute: -1})
		q := func(kv ...string) url.Values { return set(query(ActionUsage, "online_user"), kv...) } // not re-signed
		signed := func(kv ...string) url.Values { return resign(q(kv...), secret) }
		for _, tt := range []struct {
			q    url.Values
			want int
		}{
			{q(), CodeSuccess},
			{resign(q(), "other"), CodeSignatureWrong},
			{q("Signature", strings.ToUpper(q().Get("Signature"))), CodeSignatureWrong},
			{signed("Timestamp", unix(-10*time.Minute)), CodeSuccess},
			{signed("Timestamp", unix(-601*time.Second)), CodeSignatureExpired},
			{signed("Timestamp", unix(601*time.Second)), CodeSignatureExpired},
			{signed("Timestamp", "9223372036854775807"), CodeSignatureExpired},
			{signed("AppId", "54321"), CodeNoServerSecret},
			{q("AppId", ""), CodeAppIDFormat},
			{q("AppId", "4294967296"), CodeAppIDFormat},
			{q("Timestamp", ""), CodeTimestampEmpty},
			{q("Timestamp", "1.5"), CodeTimestampFormat},
			{q("Action", ""), CodeActionEmpty},
			{q("Action", "GetRealtimeQualityX"), CodeActionUnsupported},
			{q("SignatureNonce", ""), CodeNonceEmpty},
			{q("Signature", ""), CodeSignatureEmpty},
			{q("SignatureVersion", ""), CodeSigVersionEmpty},
			{q("SignatureVersion", "1.0"), CodeSigVersionUnsupported},
			{q("Metrics[]", ""), CodeBadFormat},
			{q("Metrics[]", "nope"), CodeBadValue},
			{q("Metrics[]", "uplink_rtt"), CodeBadValue}, // a quality metric asked of usage
			{q("StartTs", ""), CodeBadFormat},
			{q("StartTs", "x"), CodeBadValue},
			{q("EndTs", ""), CodeBadFormat},
			{q("EndTs", "1e3"), CodeBadValue},
			{q("StartTs", "2", "EndTs", "1"), CodeBadValue},
			{q("StartTs", strconv.FormatInt(time.Now().UnixMilli()+1, 10)), CodeBadValue}, // after EndTs 0, now
		} {
			assert.Equal(t, tt.want, call(t, tt.q).Code, "%v", tt.q)
		}

		good := q()
		assert.Equal(t, CodeSignatureWrong, call(t, set(maps.Clone(good), "Signature", strings.Repeat("0", 32))).Code)
		assert.Equal(t, CodeSuccess, call(t, good).Code, "a forged call does not burn the nonce")
		assert.Equal(t, CodeSignatureWrong, call(t, good).Code, "reused nonce")
		time.Sleep(10*time.Minute - time.Millisecond)
		assert.Equal(t, CodeSignatureWrong, call(t, resign(set(good, "Timestamp", unix(0)), secret)).Code, "reused within 10 min")
		time.Sleep(time.Millisecond)
		assert.Equal(t, CodeSuccess, call(t, good).Code, "forgotten after 10 min")

		// The server's clock, offset included, decides; the Date header tells it.
		_, ahead := newSim(Config{ClockOffset: 11 * time.Minute})
		r := ahead(t, q())
		assert.Equal(t, CodeSignatureExpired, r.Code)
		assert.Equal(t, time.Now().Add(11*time.Minute).UTC().Format(http.TimeFormat), r.date)
	})
}

func TestQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, call := newSim(Config{Apps: map[uint32]string{12345: secret, 7: "s7"}})
		usage := func() url.Values { return query(ActionUsage, "online_user") }
		start := time.Now()
		for i, st := range []struct {
			at      time.Duration // since the start; all signed at the start
			q       url.Values
			want    int
			metered bool
		}{
			{0, usage(), CodeSuccess, true},
			{20 * time.Second, resign(usage(), "bad"), CodeSignatureWrong, true},
			{40 * time.Second, usage(), CodeSuccess, true},
			{60 * time.Second, usage(), CodeSuccess, true}, // the call at 0 has left (t-60s, t]
			{61 * time.Second, usage(), CodeRateLimit, true},
			{61 * time.Second, query(ActionQuality, "uplink_rtt"), CodeSuccess, true},
			{61 * time.Second, resign(set(usage(), "AppId", "7"), "s7"), CodeSuccess, true},
			{61 * time.Second, set(usage(), "AppId", "x"), CodeAppIDFormat, false},
		} {
			time.Sleep(time.Until(start.Add(st.at)))
			assert.Equal(t, st.want, call(t, st.q).Code, "step %d", i)
			assert.Equal(t, st.metered, s.Calls()[i].Metered, "step %d", i)
		}

		_, call = newSim(Config{PerMinute: -1, PerDay: 2})
		for i, want := range []int{CodeSuccess, CodeSuccess, CodeSuccess, CodeRateLimit} { // at 0, 1h, 24h, 24h+1ms
			assert.Equal(t, want, call(t, query(ActionQuality, "uplink_rtt")).Code, "day call %d", i)
			time.Sleep([]time.Duration{time.Hour, 23 * time.Hour, time.Millisecond, 0}[i])
		}
	})
}

func TestPointWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(10 * time.Hour)
		now := time.Now().UnixMilli() // a whole minute
		ms := func(d time.Duration) int64 { return now + d.Milliseconds() }
		for i, tt := range []struct {
			cfg              Config
			action           string
			start, end       int64
			points, from, to int64
		}{
			{Config{Granularity: time.Minute, PhaseMs: 250}, ActionUsage, 0, 0, 117, ms(-2*time.Hour) + 250, ms(-4*time.Minute) + 250},
			{Config{PhaseMs: 250}, ActionQuality, ms(-10*time.Minute) + 250, ms(-8*time.Minute) + 250, 3, ms(-10*time.Minute) + 250, ms(-8*time.Minute) + 250},
			{Config{PhaseMs: 250}, ActionQuality, ms(-10*time.Minute) + 251, ms(-9*time.Minute) + 250, 1, ms(-9*time.Minute) + 250, ms(-9*time.Minute) + 250},
			{Config{Delay: -1, Retention: time.Minute, PhaseMs: -1}, ActionUsage, 0, 0, 60, ms(-59*time.Second - time.Millisecond), ms(-time.Millisecond)},
			{Config{Delay: 5 * time.Second, Retention: time.Minute, Granularity: 10 * time.Second}, ActionUsage, 0, ms(time.Hour), 6, ms(-time.Minute), ms(-10 * time.Second)},
			{Config{}, ActionQuality, ms(-2 * time.Minute), 0, 0, 0, 0}, // nothing published yet
		} {
			s, call := newSim(tt.cfg)
			asked := metricsOf(tt.action)[:2]
			r := call(t, set(query(tt.action, asked...), "StartTs", strconv.FormatInt(tt.start, 10), "EndTs", strconv.FormatInt(tt.end, 10)))
			c := s.Calls()[0]
			assert.Equal(t, []int64{CodeSuccess, 2 * tt.points, tt.from, tt.to}, []int64{int64(r.Code), int64(c.Points), c.FromMs, c.ToMs}, "case %d", i)
			var want []series // tidy: in the order asked, points ascending, values as Value says
			for _, m := range asked {
				ser := series{m, []point{}} // an empty list, not null
				for _, ts := range s.PointTimes(tt.action, tt.from-1, tt.to)[:tt.points] {
					ser.Values = append(ser.Values, point{ts, json.Number(strconv.FormatFloat(s.Value(12345, m, ts), 'f', -1, 64))})
				}
				want = append(want, ser)
			}
			assert.Equal(t, want, r.metrics(t), "case %d", i)
		}
	})
}

func TestValues(t *testing.T) {
	s, other := New(Config{Seed: 1}), New(Config{Seed: 2})
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC).UnixMilli()
	assert.NotEqual(t, s.Value(1, "online_user", day), other.Value(1, "online_user", day), "the Seed matters")
	for app := uint32(1); app <= 20; app++ {
		assert.Less(t, s.Value(app, "online_user", day+4*3_600_000)*3, s.Value(app, "online_user", day+20*3_600_000), "a daily curve")
		for ts := day; ts < day+dayMs; ts += 7 * minuteMs {
			u := s.usage(app, ts)
			require.Equal(t, [6]float64{math.Round(u[0]), math.Round(u[1]), math.Round(u[2]), math.Round(u[3]), math.Round(u[4]), math.Round(u[5])}, u)
			pub, play, rooms, online, biggest, mix := u[0], u[1], u[2], u[3], u[4], u[5]
			require.True(t, 0 <= mix && mix <= pub && pub <= play && pub <= online && 1 <= rooms && rooms <= online, "%v", u)
			require.True(t, math.Ceil(online/rooms) <= biggest && biggest <= online, "%v", u)
			for i, m := range QualityMetrics {
				v := s.Value(app, m, ts)
				require.Equal(t, math.Round(v*100)/100, v, "two decimals")
				require.True(t, qualityRanges[i][0] <= v && v <= qualityRanges[i][1], "%s %v", m, v)
			}
		}
	}
	assert.Equal(t, 0.89, s.Value(1, "video_break_rate", day), "fractional")
}

func TestQuirks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Hour)
		_, tidy := newSim(Config{Seed: 3, PerMinute: -1})
		_, quirky := newSim(Config{Seed: 3, PerMinute: -1, Quirks: true})
		_, again := newSim(Config{Seed: 3, PerMinute: -1, Quirks: true})
		flat := func(ms []series) map[string]bool {
			out := map[string]bool{}
			for _, m := range ms {
				for _, p := range m.Values {
					out[fmt.Sprint(m.Metric, p.Timestamp, strings.TrimSuffix(string(p.Value), ".0"))] = true
				}
			}
			return out
		}
		seen := map[string]int{}
		count := func(k string, b bool) { seen[k] += map[bool]int{true: 1}[b] }
		for i := range 12 {
			q := set(query(ActionUsage, UsageMetrics...), "StartTs", strconv.FormatInt(time.Now().UnixMilli()-int64(i+240)*1000, 10))
			tr, qr, ar := tidy(t, q), quirky(t, q), again(t, q)
			assert.Equal(t, string(qr.body), string(ar.body), "deterministic")
			assert.Regexp(t, `^"[0-9]{19}"$`, string(tr.RequestID))
			assert.Regexp(t, `^[0-9]{19}$`, string(qr.RequestID))
			tm, qm := tr.metrics(t), qr.metrics(t)
			assert.Equal(t, flat(tm), flat(qm), "the same data")
			count("Data array", qr.Data[0] == '[')
			for i, m := range qm {
				count("shuffled metrics", m.Metric != UsageMetrics[i])
				count("repeated point", len(m.Values) > len(tm[0].Values))
				for j, p := range m.Values {
					count("shuffled points", j > 0 && m.Values[j-1].Timestamp > p.Timestamp)
					count("1000.0", strings.HasSuffix(string(p.Value), ".0"))
				}
			}
			time.Sleep(7 * time.Second)
		}
		assert.Len(t, seen, 5)
		for k, n := range seen {
			assert.Positive(t, n, k)
		}
		assert.Greater(t, seen["shuffled points"], 100, "more than a repeated point")
	})
}

// flatRegions reads GetRegionQualityDetail's Data in any of its shapes into one line per
// (minute, region, block, field) with its value, and counts the entries.
func flatRegions(t *testing.T, data json.RawMessage) (flat map[string]bool, entries int) {
	var d struct {
		List []struct {
			Timestamp   int64
			QualityInfo []map[string]json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(data, &d))
	flat = map[string]bool{}
	for _, m := range d.List {
		for _, e := range m.QualityInfo {
			entries++
			var region string
			require.NoError(t, json.Unmarshal(e["Region"], &region))
			delete(e, "Region")
			for name, raw := range e {
				var fields map[string]any
				var one []map[string]any // an array of one, [] or null
				if json.Unmarshal(raw, &one) != nil {
					require.NoError(t, json.Unmarshal(raw, &fields), "%s", raw)
				} else if len(one) == 1 {
					fields = one[0]
				}
				for f, v := range fields {
					if s, ok := v.(string); ok {
						v, _ = strconv.ParseFloat(s, 64)
					}
					flat[fmt.Sprint(m.Timestamp, region, name, f, v)] = true
				}
			}
		}
	}
	return flat, entries
}

func TestRegion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(2 * time.Hour)
		now := time.Now().UnixMilli()
		s, call := newSim(Config{PerMinute: -1})
		region := func(kv ...string) url.Values {
			return set(query(ActionRegion), append([]string{"StartTs", strconv.FormatInt(now-7_200_000, 10)}, kv...)...)
		}
		for _, kv := range [][]string{{"Region", "Brazil"}, {"Region", "China"}, {"Platform", "ios"}, {"Metrics[]", "video_break_rate"}} {
			assert.Equal(t, CodeBadValue, call(t, region(kv...)).Code, "%v", kv)
		}
		assert.Equal(t, CodeSuccess, call(t, region("Region", "巴西", "Platform", "native")).Code)
		r := call(t, region("Platform", "web"))
		require.Equal(t, CodeSuccess, r.Code)
		c := s.Calls()[len(s.Calls())-1]
		// One hour kept, three minutes' delay: 58 minutes of 8 regions.
		assert.Equal(t, []any{"all", "web", 58 * 8, now - 3_600_000, now - 180_000}, []any{c.Region, c.Platform, c.Points, c.FromMs, c.ToMs})
		assert.Equal(t, []any{"巴西", "native", 58}, []any{s.Calls()[4].Region, s.Calls()[4].Platform, s.Calls()[4].Points})

		want := map[string]bool{}
		for _, ts := range s.PointTimes(ActionRegion, now-3_600_001, now-180_000) {
			for _, name := range s.RegionNames() {
				q := s.Region(12345, "web", name, ts)
				for block, d := range q.Blocks {
					want[fmt.Sprint(ts, name, block, "Total", float64(d.Total))] = true
					for i, rate := range d.Rates {
						want[fmt.Sprint(ts, name, block, "Rate"+strconv.Itoa(i+1), rate)] = true
					}
				}
				want[fmt.Sprint(ts, name, "LoginSuccessRateDetail", "LoginSuccessRate", q.LoginSuccessRate)] = true
				want[fmt.Sprint(ts, name, "LoginSuccessRateDetail", "LoginSuccessRate5s", q.LoginSuccessRate5s)] = true
			}
		}
		got, _ := flatRegions(t, r.Data)
		assert.Equal(t, want, got)
		for _, empty := range []string{`"P2pDelayDetail":null`, `"P2pDelayDetail":{}`, `"P2pDelayDetail":[]`} {
			assert.Contains(t, string(r.body), empty, "web: the P2p blocks in every empty shape")
		}
		assert.Less(t, strings.Count(string(r.body), `"P2pDelayDetail":`), 58*8, "and missing")

		// Quirks: the same data, shuffled, repeated, as strings, in arrays of one, no RequestId.
		_, quirky := newSim(Config{PerMinute: -1, Quirks: true})
		_, again := newSim(Config{PerMinute: -1, Quirks: true})
		q := region("Platform", "web")
		qr := quirky(t, q)
		assert.Equal(t, string(qr.body), string(again(t, q).body), "deterministic")
		got, entries := flatRegions(t, qr.Data)
		assert.Equal(t, want, got)
		assert.Greater(t, entries, 58*8, "a region repeated")
		assert.Empty(t, qr.RequestID)
		assert.Regexp(t, `Detail":\[\{`, string(qr.body))
		assert.Regexp(t, `"Rate\d":"`, string(qr.body))
		assert.NotRegexp(t, `^\{"Code":0,"Message":"success","Data":\{"List":\[\{"Timestamp":`+strconv.FormatInt(now-3_600_000, 10), string(qr.body), "minutes shuffled")
	})
}

func TestRegionValues(t *testing.T) {
	s := New(Config{Seed: 1})
	assert.NotEqual(t, s.Region(1, "all", "巴西", 0), New(Config{Seed: 2}).Region(1, "all", "巴西", 0), "the Seed matters")
	four := func(v float64) bool { return math.Round(v*1e4)/1e4 == v }
	for i := range 2000 { // apps, platforms, regions and minutes
		platform, ts := Platforms[i%3], int64(i)*7*minuteMs
		q := s.Region(uint32(i%5), platform, regionNames[i%8], ts)
		require.Len(t, q.Blocks, map[bool]int{true: 4, false: 6}[platform == "web"])
		require.True(t, 0.9 <= q.LoginSuccessRate5s && q.LoginSuccessRate5s <= q.LoginSuccessRate && q.LoginSuccessRate <= 1 && four(q.LoginSuccessRate) && four(q.LoginSuccessRate5s), "%v", q)
		for _, b := range RegionBlocks {
			d, ok := q.Blocks[b.Name]
			if !ok { // web's P2p blocks, counted above
				continue
			}
			sum := 0.0
			for _, r := range d.Rates {
				require.True(t, 0 <= r && r <= 1 && four(r), "%v", d)
				sum += r
			}
			require.Len(t, d.Rates, b.Buckets)
			require.InDelta(t, 1, sum, 0.0003, "%v", d)
			require.Positive(t, d.Total)
		}
	}
}

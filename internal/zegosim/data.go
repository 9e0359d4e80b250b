// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"cmp"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// series is one metric of an answer, as ZEGO shapes it.
type series struct {
	Metric string
	Values []point
}

type point struct {
	Timestamp int64
	Value     json.Number // a Number, so Quirks can write 1000 as 1000.0
}

// gather fills c's metrics with the points of [StartTs, EndTs] that are published and
// retained.
func (s *Server) gather(c *Call, now time.Time) []series {
	times := s.published(c, now, s.cfg.Retention)
	out := make([]series, len(c.Metrics))
	for i, m := range c.Metrics {
		out[i] = series{Metric: m, Values: make([]point, len(times))}
		for j, t := range times {
			out[i].Values[j] = point{t, json.Number(strconv.FormatFloat(s.Value(c.AppID, m, t), 'f', -1, 64))}
		}
	}
	if len(times) > 0 {
		c.Points, c.FromMs, c.ToMs = len(times)*len(c.Metrics), times[0], times[len(times)-1]
	}
	return out
}

// published lists the point times of c's Action in [StartTs, EndTs] that are published
// (t <= now-Delay, or now-Delay-LateBy for a late one) and retained (t >= now-retention).
func (s *Server) published(c *Call, now time.Time, retention time.Duration) []int64 {
	nowMs := now.UnixMilli()
	lo := max(c.StartMs, nowMs-retention.Milliseconds())
	hi := min(cmp.Or(c.EndMs, nowMs), nowMs-max(s.cfg.Delay, 0).Milliseconds())
	return slices.DeleteFunc(s.PointTimes(c.Action, lo-1, hi), func(t int64) bool {
		return s.Late(t) && t > nowMs-max(s.cfg.Delay, 0).Milliseconds()-s.cfg.LateBy.Milliseconds()
	})
}

// Late reports whether the points at tsMs are published LateBy after the others.
func (s *Server) Late(tsMs int64) bool {
	return s.cfg.LateEvery > 0 && s.unit(0, 77, tsMs) < 1/float64(s.cfg.LateEvery)
}

// PointTimes lists the point timestamps of action with afterMs < t <= untilMs, ascending.
func (s *Server) PointTimes(action string, afterMs, untilMs int64) []int64 {
	step := s.cfg.Granularity.Milliseconds()
	switch action {
	case ActionQuality, ActionRegion:
		step = minuteMs
	case ActionUsage:
	default:
		return nil
	}
	phase := floorMod(s.cfg.PhaseMs, step)
	var out []int64
	for t := afterMs - floorMod(afterMs-phase, step) + step; t <= untilMs; t += step {
		out = append(out, t)
	}
	return out
}

func floorMod(a, b int64) int64 { return (a%b + b) % b }

// encode renders an answer, GetRegionQualityDetail's when list is not nil. Tidy: metrics
// as given, points and minutes ascending, RequestId a string, no Data on errors. Quirks:
// the shapes ZEGO's own pages show or allow, chosen deterministically from Seed and the
// call's sequence number.
func (s *Server) encode(code int, msg string, seq uint64, data []series, list []regionMinute) []byte {
	// 19 digits, like ZEGO's example 1660645050860325000: more than a float64 holds.
	id := strconv.FormatUint(1e18+hashOf(uint64(s.cfg.Seed), seq)%9e18, 10)
	var out struct {
		Code      int
		Message   string
		RequestID any `json:"RequestId,omitempty"`
		Data      any `json:",omitempty"`
	}
	out.Code, out.Message, out.RequestID = code, cmp.Or(msg, messages[code], "error"), id
	if code == CodeSuccess {
		out.Data = struct{ Metrics []series }{data}
	}
	switch rnd := rand.New(rand.NewPCG(uint64(s.cfg.Seed), seq)); {
	case s.cfg.Quirks && list != nil:
		out.RequestID = nil // as in ZEGO's example
		regionQuirks(rnd, list)
	case s.cfg.Quirks:
		out.RequestID = json.Number(id) // a bare number, though documented as a String
		quirks(rnd, data)
		if code == CodeSuccess && rnd.IntN(3) == 0 {
			out.Data = data // documented as an Array; the example shows an object
		}
	}
	if list != nil {
		out.Data = struct{ List []regionMinute }{list}
	}
	body, _ := json.Marshal(out) // plain data always marshals
	return body
}

// encodeDaily renders a daily Action's successful answer; Quirks as in encode, and values
// written as strings now and then.
func (s *Server) encodeDaily(seq uint64, data []dailySeries) []byte {
	out := struct {
		Code      int
		Message   string
		RequestID string `json:"RequestId"`
		Data      any
	}{CodeSuccess, messages[CodeSuccess], strconv.FormatUint(1e18+hashOf(uint64(s.cfg.Seed), seq)%9e18, 10), struct{ Metrics []dailySeries }{data}}
	if s.cfg.Quirks && dailyQuirks(seq, data) {
		out.Data = data // documented as an Array; the example shows an object
	}
	body, _ := json.Marshal(out) // plain data always marshals
	return body
}

// quirks shuffles the metrics and their points, now and then repeats a point, and
// writes some whole numbers as 1000.0.
func quirks(rnd *rand.Rand, data []series) {
	rnd.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
	for i := range data {
		v := data[i].Values
		rnd.Shuffle(len(v), func(a, b int) { v[a], v[b] = v[b], v[a] })
		if len(v) > 0 && rnd.IntN(3) == 0 {
			v = slices.Insert(v, rnd.IntN(len(v)+1), v[rnd.IntN(len(v))])
		}
		for j := range v {
			if !strings.Contains(string(v[j].Value), ".") && rnd.IntN(4) == 0 {
				v[j].Value += ".0"
			}
		}
		data[i].Values = v
	}
}

// Value is the value served for metric of appID at point time tsMs: a pure function,
// so tests can compute what to expect. Usage values are whole numbers; quality values
// have two decimals. An unknown metric gives 0.
func (s *Server) Value(appID uint32, metric string, tsMs int64) float64 {
	if i := slices.Index(UsageMetrics, metric); i >= 0 {
		return s.usage(appID, tsMs)[i]
	}
	i := slices.Index(QualityMetrics, metric)
	if i < 0 {
		return 0
	}
	lo, hi := qualityRanges[i][0], qualityRanges[i][1]
	v := lo + (hi-lo)*(0.6*s.unit(appID, 100+i, 0)+0.4*s.unit(appID, 200+i, tsMs)) // the AppID's level, then noise
	return math.Round(v*100) / 100
}

// qualityRanges spans each quality metric's values, in QualityMetrics' order: rates
// in %, delays in ms. Values stay below hi, so success rates never pass 100.
var qualityRanges = [][2]float64{{0.2, 5}, {0.1, 3}, {20, 200}, {20, 200}, {150, 800}, {95, 100}, {95, 100}, {97, 100}}

// usage computes the six usage metrics at once, in UsageMetrics' order, each derived
// from online users so that they agree: publish <= play, mix <= publish <= online,
// rooms <= online, average room <= max_room_user <= online.
func (s *Server) usage(appID uint32, tsMs int64) [6]float64 {
	app := func(k int) float64 { return s.unit(appID, k, 0) }                   // the AppID's proportions
	jit := func(k int) float64 { return 0.98 + 0.04*s.unit(appID, 10+k, tsMs) } // ±2 % per point
	online := math.Round(200 * math.Exp2(8*app(0)) * daily(tsMs) * jit(0))      // >= 29; 200..51,200 at the peak
	publish := math.Round(online * (0.15 + 0.35*app(1)) * jit(1))
	play := max(publish, math.Round(publish*(1.2+2.8*app(2))*jit(2)))
	rooms := max(1, math.Round(online/(2+10*app(3))*jit(3)))
	biggest := max(math.Ceil(online/rooms), math.Round(online*(0.01+0.15*app(4))*jit(4)))
	mix := math.Round(publish * (0.02 + 0.08*app(5)) * jit(5))
	return [6]float64{publish, play, rooms, online, biggest, mix}
}

// daily is the day's shape in [0.15, 1]: lowest at 04:00 UTC, rising for 16 h to a
// peak at 20:00 UTC, falling for 8 h; cosine ramps, smooth at the joins.
func daily(tsMs int64) float64 {
	h := float64(floorMod(tsMs-4*60*minuteMs, dayMs)) / (60 * minuteMs) // hours since 04:00
	if h < 16 {
		return 0.15 + 0.85*(1-math.Cos(math.Pi*h/16))/2
	}
	return 0.15 + 0.85*(1+math.Cos(math.Pi*(h-16)/8))/2
}

// unit is a number in [0, 1) hashed from the Seed, appID, a key and a time.
func (s *Server) unit(appID uint32, key int, tsMs int64) float64 {
	return float64(hashOf(uint64(s.cfg.Seed), uint64(appID), uint64(key), uint64(tsMs))>>11) / (1 << 53)
}

// hashOf mixes its parts, in order, with splitmix64 steps: everything random-looking
// is a hash of its inputs, so no random state is shared between calls.
func hashOf(parts ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, p := range parts {
		h ^= p
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h = (h ^ h>>31) + 0x9e3779b97f4a7c15
	}
	return h
}

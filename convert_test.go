package zegoreceiver

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/filter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// referenceConvert is convert's behaviour written the plain way: per metric, gather the
// points inside the window from every series of that metric, sort them stably, and record
// each new timestamp through the MetricsBuilder.
func referenceConvert(r *zegoReceiver, a *zegoapi.Answer, w window) (pmetric.Metrics, int) {
	points := 0
	for _, def := range r.metrics {
		var buf []zegoapi.Point
		for _, s := range a.Series {
			if s.Metric == def.api {
				for _, p := range s.Points {
					if p.TimestampMs > w.afterMs && p.TimestampMs <= w.untilMs {
						buf = append(buf, p)
					}
				}
			}
		}
		slices.SortStableFunc(buf, comparePoints)
		for k, p := range buf {
			if k > 0 && p.TimestampMs == buf[k-1].TimestampMs {
				continue
			}
			def.record(r.mb, pcommon.Timestamp(p.TimestampMs*int64(time.Millisecond)), p.Value)
			points++
		}
	}
	return r.mb.Emit(metadata.WithResource(r.resource)), points
}

func asJSON(t *testing.T, md pmetric.Metrics) string {
	t.Helper()
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	return string(b)
}

// convertCases are answers that take every path through convert: read in place (one
// ascending series, repeats allowed) or gathered (unsorted, or several series of a metric),
// with points on and beyond both window edges.
func convertCases(w window) map[string]*zegoapi.Answer {
	seq := func(fromMs, stepMs int64, n int, value int64) []zegoapi.Point {
		pts := make([]zegoapi.Point, n)
		for i := range pts {
			pts[i] = zegoapi.Point{TimestampMs: fromMs + int64(i)*stepMs, Value: value + int64(i)}
		}
		return pts
	}
	reversed := func(p []zegoapi.Point) []zegoapi.Point { p = slices.Clone(p); slices.Reverse(p); return p }
	ascending := seq(w.afterMs-2000, 1000, 200, 100) // starts before and ends after the window
	withRepeats := slices.Clone(ascending)
	withRepeats = slices.Insert(withRepeats, 50, zegoapi.Point{TimestampMs: withRepeats[50].TimestampMs, Value: -7})
	withRepeats = slices.Insert(withRepeats, 10, zegoapi.Point{TimestampMs: withRepeats[10].TimestampMs, Value: -8})
	edges := []zegoapi.Point{{TimestampMs: w.afterMs, Value: 1}, {TimestampMs: w.afterMs + 1, Value: 2}, {TimestampMs: w.untilMs, Value: 3}, {TimestampMs: w.untilMs + 1, Value: 4}}

	all := func(s func(m string) []zegoapi.Point) *zegoapi.Answer {
		a := &zegoapi.Answer{}
		for _, m := range zegoapi.AllMetrics {
			a.Series = append(a.Series, zegoapi.Series{Metric: m, Points: s(m)})
		}
		return a
	}
	return map[string]*zegoapi.Answer{
		"empty":                  {},
		"ascending":              all(func(string) []zegoapi.Point { return ascending }),
		"ascending with repeats": all(func(string) []zegoapi.Point { return withRepeats }),
		"edges":                  all(func(string) []zegoapi.Point { return edges }),
		"reversed":               all(func(string) []zegoapi.Point { return reversed(withRepeats) }),
		"nothing in the window":  all(func(string) []zegoapi.Point { return seq(w.untilMs+1, 1000, 5, 0) }),
		"one metric only":        {Series: []zegoapi.Series{{Metric: zegoapi.MetricOnlineUser, Points: ascending}}},
		"mixed": {Series: []zegoapi.Series{
			{Metric: zegoapi.MetricMixConcurrent, Points: reversed(ascending)},
			{Metric: zegoapi.MetricOnlineUser, Points: ascending[:100]},
			{Metric: "not_a_metric", Points: ascending},
			{Metric: zegoapi.MetricOnlineUser, Points: reversed(ascending[90:])}, // overlaps: the first series wins
			{Metric: zegoapi.MetricPlayConcurrent, Points: withRepeats},
			{Metric: zegoapi.MetricMixConcurrent, Points: edges},
			{Metric: zegoapi.MetricRoomConcurrent},
		}},
	}
}

// convert gives exactly what the plain way gives (points, order, values, start timestamps,
// metric names, units, descriptions, scope, resource) on every path, poll after poll through
// one receiver, so that reused buffers carry nothing over.
func TestConvertMatchesReference(t *testing.T) {
	w := window{afterMs: t0.Add(-6 * time.Minute).UnixMilli(), untilMs: t0.Add(-3 * time.Minute).UnixMilli()}
	cases := convertCases(w)
	got := newHarness(t, testConfig()).r
	ref := newHarness(t, testConfig()).r
	for round := range 2 {
		for name, a := range cases {
			t.Run(fmt.Sprintf("%s/%d", name, round), func(t *testing.T) {
				wantMD, wantN := referenceConvert(ref, a, w)
				gotMD, gotN := got.convert(a, w)
				assert.Equal(t, wantN, gotN, "points")
				assert.Equal(t, wantN, gotMD.DataPointCount())
				assert.JSONEq(t, asJSON(t, wantMD), asJSON(t, gotMD))
				if wantN > 0 {
					delivered(t, []pmetric.Metrics{gotMD}) // ascending, no repeats, no start time
				}
			})
		}
	}
}

// A resource filtered out by resource_attributes gives no metrics, but the points are counted
// as before.
func TestConvertFilteredResource(t *testing.T) {
	cfg := testConfig()
	cfg.ResourceAttributes.ZegoAppID.MetricsExclude = []filter.Config{{Strict: "12345"}}
	w := window{afterMs: t0.Add(-6 * time.Minute).UnixMilli(), untilMs: t0.Add(-3 * time.Minute).UnixMilli()}
	a := convertCases(w)["mixed"]
	wantMD, wantN := referenceConvert(newHarness(t, cfg).r, a, w)
	gotMD, gotN := newHarness(t, cfg).r.convert(a, w)
	require.Positive(t, wantN)
	assert.Equal(t, wantN, gotN)
	assert.Zero(t, wantMD.ResourceMetrics().Len())
	assert.Zero(t, gotMD.ResourceMetrics().Len())
}

// A steady poll's buffers are kept for the next poll; a backfill's are released.
func TestPollReleasesLargeBuffers(t *testing.T) {
	h := newHarness(t, testConfig())
	h.api.respond = func(_ context.Context, q zegoapi.Query) (*zegoapi.Answer, error) {
		a := &zegoapi.Answer{}
		for i, m := range zegoapi.AllMetrics {
			var pts []zegoapi.Point
			for ts := (q.StartMs/1000 + 1) * 1000; ts < q.EndMs; ts += 1000 {
				pts = append(pts, zegoapi.Point{TimestampMs: ts, Value: int64(i)})
			}
			if i%2 == 1 {
				slices.Reverse(pts) // gathered in r.scratch
			}
			a.Series = append(a.Series, zegoapi.Series{Metric: m, Points: pts})
		}
		return a, nil
	}
	require.Equal(t, pollDelivered, h.poll(t)) // 3 minutes: 1,080 points
	require.NotEmpty(t, h.r.answer.Series)
	require.NotZero(t, cap(h.r.scratch))
	kept := &h.r.answer.Series[0].Points[:1][0]

	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollDelivered, h.poll(t))
	assert.Same(t, kept, &h.r.answer.Series[0].Points[:1][0], "a steady poll reuses the answer's arrays")

	h.clock.Advance(90 * time.Minute) // the next window is 90 minutes: 32,400 points
	require.Equal(t, pollDelivered, h.poll(t))
	assert.Empty(t, h.r.answer.Series, "a backfill's answer is not kept")
	assert.Zero(t, cap(h.r.answer.Series))
	assert.Nil(t, h.r.scratch, "nor its scratch")
	assert.Len(t, delivered(t, h.sink.AllMetrics())["zego.realtime.online_user"], (3+3+90)*60)
}

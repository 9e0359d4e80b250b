package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// maxRetainedPoints bounds the buffers a receiver keeps between polls (the reused Answer and
// convert's scratch), in points of 16 bytes. A steady poll (3 minutes of six metrics, 1,080
// points) stays under it and reuses them; a backfill of up to two hours (43,200 points,
// ~0.7 MB) does not, and its buffers are released rather than pinned for every AppID.
const maxRetainedPoints = 8192

// convert turns an answer into one batch: per metric, the points inside the window (after,
// until], once per timestamp (the first one in answer order wins), in ascending time order,
// each at its own time.
//
// It is the receiver's hot path: a backfill is up to 43,200 points. Points are copied only when
// they must be: a metric answered as one series already in ascending order, the usual case,
// is read in place; only otherwise are its points gathered and stably sorted in r.scratch.
// The pdata is still built by the generated MetricsBuilder (names, descriptions, units, scope,
// resource), but only each metric's first point is recorded through it; the others are
// appended to the emitted metric after one EnsureCapacity, instead of the builder growing the
// data point slice one point at a time.
func (r *zegoReceiver) convert(a *zegoapi.Answer, w window) (pmetric.Metrics, int) {
	// Per metric, its points inside the window in non-decreasing time order: read in place, or
	// gathered into r.scratch[start:end] (sliced only once r.scratch has stopped growing).
	type metricRun struct {
		pts        []zegoapi.Point
		start, end int
		gathered   bool
	}
	runs := make([]metricRun, len(r.metrics))
	r.scratch = r.scratch[:0]
	for i, def := range r.metrics {
		if pts, ok := inPlaceRun(a.Series, def.api, w); ok {
			runs[i].pts = pts
			continue
		}
		start := len(r.scratch)
		for _, s := range a.Series {
			if s.Metric != def.api {
				continue
			}
			for _, p := range s.Points {
				if p.TimestampMs > w.afterMs && p.TimestampMs <= w.untilMs {
					r.scratch = append(r.scratch, p)
				}
			}
		}
		// Stable, so that among points sharing a timestamp the first in answer order stays first.
		slices.SortStableFunc(r.scratch[start:], comparePoints)
		runs[i] = metricRun{start: start, end: len(r.scratch), gathered: true}
	}

	points := 0
	for i, def := range r.metrics {
		run := &runs[i]
		if run.gathered {
			run.pts = r.scratch[run.start:run.end]
		}
		if len(run.pts) > 0 {
			def.record(r.mb, pointTime(run.pts[0]), run.pts[0].Value)
			points += countUnique(run.pts)
		}
	}
	md := r.mb.Emit(metadata.WithResource(r.resource))
	if md.ResourceMetrics().Len() == 0 {
		return md, points // resource_attributes' metrics_include/metrics_exclude filtered it out
	}
	metrics := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for k := 0; k < metrics.Len(); k++ {
		m := metrics.At(k)
		for i, def := range r.metrics {
			if def.name == m.Name() {
				appendRest(m.Gauge().DataPoints(), runs[i].pts)
				break
			}
		}
	}
	return md, points
}

// inPlaceRun returns the points of metric inside w without copying them, when the answer has
// exactly one series for metric and its points are in non-decreasing time order; then the
// points inside the window are one contiguous stretch of it. ok is false otherwise.
func inPlaceRun(series []zegoapi.Series, metric string, w window) (run []zegoapi.Point, ok bool) {
	var pts []zegoapi.Point
	found := 0
	for _, s := range series {
		if s.Metric == metric {
			pts = s.Points
			found++
		}
	}
	switch {
	case found == 0:
		return nil, true
	case found > 1 || !slices.IsSortedFunc(pts, comparePoints):
		return nil, false
	}
	lo := sort.Search(len(pts), func(k int) bool { return pts[k].TimestampMs > w.afterMs })
	hi := lo + sort.Search(len(pts)-lo, func(k int) bool { return pts[lo+k].TimestampMs > w.untilMs })
	return pts[lo:hi], true
}

// countUnique counts the distinct timestamps of a non-decreasing run.
func countUnique(run []zegoapi.Point) int {
	if len(run) == 0 {
		return 0
	}
	n := 1
	for k := 1; k < len(run); k++ {
		if run[k].TimestampMs != run[k-1].TimestampMs {
			n++
		}
	}
	return n
}

// appendRest appends run[1:] to dps, which holds run[0] as the MetricsBuilder recorded it,
// skipping repeated timestamps (the first one wins) and setting what the builder sets: the
// start timestamp it gave the first point (none, for ZEGO's instant readings), the time and the
// value.
func appendRest(dps pmetric.NumberDataPointSlice, run []zegoapi.Point) {
	if dps.Len() != 1 || len(run) < 2 {
		return
	}
	start := dps.At(0).StartTimestamp()
	dps.EnsureCapacity(countUnique(run))
	last := run[0].TimestampMs
	for _, p := range run[1:] {
		if p.TimestampMs == last {
			continue
		}
		last = p.TimestampMs
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(pointTime(p))
		dp.SetIntValue(p.Value)
	}
}

func pointTime(p zegoapi.Point) pcommon.Timestamp {
	return pcommon.Timestamp(p.TimestampMs * int64(time.Millisecond))
}

func comparePoints(a, b zegoapi.Point) int { return cmp.Compare(a.TimestampMs, b.TimestampMs) }

// releaseLargeBuffers drops the buffers poll reuses when the last answer made them larger than
// a steady poll needs, so that one backfill does not pin its ~0.7 MB for the receiver's life.
func (r *zegoReceiver) releaseLargeBuffers() {
	if cap(r.scratch) > maxRetainedPoints {
		r.scratch = nil
	}
	held := 0
	for _, s := range r.answer.Series[:cap(r.answer.Series)] {
		held += cap(s.Points)
	}
	if held > maxRetainedPoints {
		r.answer = zegoapi.Answer{}
	}
}

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// convert turns an answer into one batch: per metric, the points inside the
// window, once per timestamp, in ascending time order, each at its own time.
func (r *zegoReceiver) convert(a *zegoapi.Answer, w window) (pmetric.Metrics, int) {
	points := 0
	var buf []zegoapi.Point
	for _, def := range r.metrics {
		buf = buf[:0]
		for _, s := range a.Series {
			if s.Metric != def.api {
				continue
			}
			for _, p := range s.Points {
				if p.TimestampMs > w.afterMs && p.TimestampMs <= w.untilMs {
					buf = append(buf, p)
				}
			}
		}
		if !slices.IsSortedFunc(buf, comparePoints) {
			slices.SortStableFunc(buf, comparePoints)
		}
		last := int64(-1)
		for _, p := range buf {
			if p.TimestampMs == last {
				continue // a repeated point: the first one wins
			}
			last = p.TimestampMs
			def.record(r.mb, pcommon.Timestamp(p.TimestampMs*int64(time.Millisecond)), p.Value)
			points++
		}
	}
	return r.mb.Emit(metadata.WithResource(r.resource)), points
}

func comparePoints(a, b zegoapi.Point) int { return cmp.Compare(a.TimestampMs, b.TimestampMs) }

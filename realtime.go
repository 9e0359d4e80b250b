// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// realtimeMetric ties a metric of GetRealtimeUsage or GetRealtimeQuality to the name ZEGO gives
// it in Metrics[]; the receiver emits it as zego.realtime.<zego>.
type realtimeMetric struct {
	zego string
	// record adds a point to mb, or reports false when v does not fit the metric.
	record func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool
}

// usageMetrics and qualityMetrics are in ZEGO's documented order, the order of Metrics[].
var (
	usageMetrics = []realtimeMetric{
		{"publish_concurrent", count((*metadata.MetricsBuilder).RecordZegoRealtimePublishConcurrentDataPoint)},
		{"play_concurrent", count((*metadata.MetricsBuilder).RecordZegoRealtimePlayConcurrentDataPoint)},
		{"room_concurrent", count((*metadata.MetricsBuilder).RecordZegoRealtimeRoomConcurrentDataPoint)},
		{"online_user", count((*metadata.MetricsBuilder).RecordZegoRealtimeOnlineUserDataPoint)},
		{"max_room_user", count((*metadata.MetricsBuilder).RecordZegoRealtimeMaxRoomUserDataPoint)},
		{"mix_concurrent", count((*metadata.MetricsBuilder).RecordZegoRealtimeMixConcurrentDataPoint)},
	}
	qualityMetrics = []realtimeMetric{
		{"video_break_rate", measure((*metadata.MetricsBuilder).RecordZegoRealtimeVideoBreakRateDataPoint)},
		{"audio_break_rate", measure((*metadata.MetricsBuilder).RecordZegoRealtimeAudioBreakRateDataPoint)},
		{"uplink_rtt", measure((*metadata.MetricsBuilder).RecordZegoRealtimeUplinkRttDataPoint)},
		{"downlink_rtt", measure((*metadata.MetricsBuilder).RecordZegoRealtimeDownlinkRttDataPoint)},
		{"peer_to_peer_delay", measure((*metadata.MetricsBuilder).RecordZegoRealtimePeerToPeerDelayDataPoint)},
		{"publish_success_rate", measure((*metadata.MetricsBuilder).RecordZegoRealtimePublishSuccessRateDataPoint)},
		{"play_success_rate", measure((*metadata.MetricsBuilder).RecordZegoRealtimePlaySuccessRateDataPoint)},
		{"login_success_rate", measure((*metadata.MetricsBuilder).RecordZegoRealtimeLoginSuccessRateDataPoint)},
	}
)

func (m realtimeMetric) name() string { return "zego.realtime." + m.zego }

func realtimeNames(ms []realtimeMetric) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name()
	}
	return names
}

// realtimeSchedule polls action every collection_interval, with one call for its enabled
// metrics; ZEGO keeps its points for retention.
func realtimeSchedule(action zegoapi.Action, metrics []realtimeMetric, retention time.Duration) func(*Config, map[string]bool, *zap.Logger) schedule {
	return func(cfg *Config, enabled map[string]bool, _ *zap.Logger) schedule {
		r := realtimeRequest{action: action}
		for _, m := range metrics {
			if enabled[m.name()] {
				r.metrics = append(r.metrics, m)
			}
		}
		return schedule{requests: []request{r}, interval: cfg.CollectionInterval, intervalKey: "collection_interval", timing: realtimeTiming(cfg, retention)}
	}
}

// realtimeTiming: a point can be had data_delay after its time; the cursor moves to the end of
// each window.
func realtimeTiming(cfg *Config, retention time.Duration) timing {
	return timing{
		newest:       func(now time.Time) int64 { return now.Add(-cfg.DataDelay).UnixMilli() },
		lookback:     cfg.InitialLookback,
		lookbackKey:  "initial_lookback",
		lookbackFrom: fmt.Sprintf("initial_lookback: %s before now - data_delay", cfg.InitialLookback),
		retention:    retention,
		lateWindow:   cfg.LateWindow,
		backfill:     largeWindow,
	}
}

// realtimeRequest asks GetRealtimeUsage or GetRealtimeQuality for metrics by ZEGO's names.
type realtimeRequest struct {
	action  zegoapi.Action
	metrics []realtimeMetric // the enabled ones, in ZEGO's order
}

func (r realtimeRequest) name() string { return string(r.action) }

func (r realtimeRequest) query(afterMs, untilMs int64) zegoapi.Query {
	q := zegoapi.Query{Action: r.action, StartMs: afterMs, EndMs: untilMs + 1}
	for _, m := range r.metrics {
		q.Metrics = append(q.Metrics, m.zego)
	}
	return q
}

func (r realtimeRequest) record(mb *metadata.MetricsBuilder, a *zegoapi.Answer, take func(int64) bool) (invalid int) {
	for _, m := range r.metrics {
		var pts []zegoapi.Point
		for _, s := range a.Series {
			if s.Metric == m.zego {
				pts = append(pts, slices.DeleteFunc(slices.Clone(s.Points), func(pt zegoapi.Point) bool { return !take(pt.TimestampMs) })...)
			}
		}
		slices.SortStableFunc(pts, func(a, b zegoapi.Point) int { return cmp.Compare(a.TimestampMs, b.TimestampMs) })
		for i, pt := range pts {
			if i > 0 && pt.TimestampMs == pts[i-1].TimestampMs {
				continue
			}
			if math.IsNaN(pt.Value) || !m.record(mb, pcommon.Timestamp(pt.TimestampMs*int64(time.Millisecond)), pt.Value) {
				invalid++
			}
		}
	}
	return invalid
}

// count records a usage value, a count of streams, rooms, users or tasks, as an int gauge; a
// value that is not a whole number does not fit.
func count(record func(*metadata.MetricsBuilder, pcommon.Timestamp, int64)) func(*metadata.MetricsBuilder, pcommon.Timestamp, float64) bool {
	return func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool {
		if v != math.Trunc(v) || math.Abs(v) >= 1<<63 {
			return false
		}
		record(mb, ts, int64(v))
		return true
	}
}

// measure records a quality value, a rate or a latency, as a double gauge, exactly as ZEGO sent it.
func measure(record func(*metadata.MetricsBuilder, pcommon.Timestamp, float64)) func(*metadata.MetricsBuilder, pcommon.Timestamp, float64) bool {
	return func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool {
		record(mb, ts, v)
		return true
	}
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // the image has no zoneinfo: daily::time_zone must load everywhere

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// The values of daily::timestamps.
const (
	stampCollection = "collection" // each day's value once, when first received, stamped then
	stampDay        = "day"        // each day's value at 00:00 of that day in daily::time_zone
)

// planRetentions are how many days of operations data ZEGO's plans keep, longest first:
// flagship, pro, free. Each is half a day longer than its days: a plan keeps whole days up to
// yesterday, so at any hour the oldest day it keeps lies within the retention, and the day
// before it outside.
var planRetentions = []time.Duration{90*day + 12*time.Hour, 60*day + 12*time.Hour, 7*day + 12*time.Hour}

// dailyMetric ties a metric of GetBizUsage or GetBizQuality to the name ZEGO gives it in
// Metrics[]; the receiver emits it as zego.daily.<zego>.
type dailyMetric struct {
	zego string
	// record adds a point to mb, or reports false when v does not fit the metric.
	record func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool
}

// bizUsageMetrics and bizQualityMetrics are in ZEGO's documented order.
var (
	bizUsageMetrics = []dailyMetric{
		{"room_concurrent", count((*metadata.MetricsBuilder).RecordZegoDailyRoomConcurrentDataPoint)},
		{"user_concurrent", count((*metadata.MetricsBuilder).RecordZegoDailyUserConcurrentDataPoint)},
		{"publish_concurrent", count((*metadata.MetricsBuilder).RecordZegoDailyPublishConcurrentDataPoint)},
		{"play_concurrent", count((*metadata.MetricsBuilder).RecordZegoDailyPlayConcurrentDataPoint)},
		{"publish_count", count((*metadata.MetricsBuilder).RecordZegoDailyPublishCountDataPoint)},
		{"play_count", count((*metadata.MetricsBuilder).RecordZegoDailyPlayCountDataPoint)},
	}
	bizQualityMetrics = []dailyMetric{
		{"break_rate", measure((*metadata.MetricsBuilder).RecordZegoDailyBreakRateDataPoint)},
		{"fft", measure((*metadata.MetricsBuilder).RecordZegoDailyFftDataPoint)},
		{"login_consumed", measure((*metadata.MetricsBuilder).RecordZegoDailyLoginConsumedDataPoint)},
		{"publish_success_rate_cdn", measure((*metadata.MetricsBuilder).RecordZegoDailyPublishSuccessRateCdnDataPoint)},
		{"publish_success_rate_rtc", measure((*metadata.MetricsBuilder).RecordZegoDailyPublishSuccessRateRtcDataPoint)},
		{"play_success_rate_cdn", measure((*metadata.MetricsBuilder).RecordZegoDailyPlaySuccessRateCdnDataPoint)},
		{"play_success_rate_l3", measure((*metadata.MetricsBuilder).RecordZegoDailyPlaySuccessRateL3DataPoint)},
		{"play_success_rate_rtc", measure((*metadata.MetricsBuilder).RecordZegoDailyPlaySuccessRateRtcDataPoint)},
		{"login_success_rate", measure((*metadata.MetricsBuilder).RecordZegoDailyLoginSuccessRateDataPoint)},
		{"login_success_5s", measure((*metadata.MetricsBuilder).RecordZegoDailyLoginSuccess5sDataPoint)},
	}
)

func (m dailyMetric) name() string { return "zego.daily." + m.zego }

func dailyNames(ms []dailyMetric) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name()
	}
	return names
}

// dailySchedule polls action every daily::collection_interval while a day is missing, with one
// call for its enabled metrics.
func dailySchedule(action zegoapi.Action, metrics []dailyMetric) func(*Config, map[string]bool, *zap.Logger) schedule {
	return func(cfg *Config, enabled map[string]bool, logger *zap.Logger) schedule {
		d := cfg.Daily
		loc, err := time.LoadLocation(d.TimeZone)
		if err != nil { // Validate reports it
			loc = time.UTC
		}
		r := dailyRequest{action: action, loc: loc, stampDay: d.Timestamps == stampDay, passedOver: &passedOverLog{logger: logger}}
		for _, m := range metrics {
			if enabled[m.name()] {
				r.metrics = append(r.metrics, m)
			}
		}
		return schedule{
			requests:    []request{r},
			interval:    d.CollectionInterval,
			intervalKey: "daily::collection_interval",
			detail: fmt.Sprintf("one value a day, days of %s, %d back at the first poll, stamped at %s",
				loc, d.LookbackDays, map[bool]string{true: "the day's 00:00", false: "collection time"}[r.stampDay]),
			timing: timing{
				newest: func(now time.Time) int64 { return dayStart(now.In(loc), -1) },
				// Half a day short of whole days, so that a day made longer or shorter by a
				// change of daylight saving time adds or drops no day.
				lookback:     time.Duration(d.LookbackDays)*day - 12*time.Hour,
				lookbackKey:  "daily::lookback_days",
				lookbackFrom: fmt.Sprintf("daily::lookback_days: %d days up to yesterday in %s", d.LookbackDays, loc),
				retention:    planRetentions[0],
				plans:        planRetentions[1:],
				// Each call reads the newest delivered day again, to notice a revision.
				lateWindow: day,
				toNewest:   true,
			},
		}
	}
}

// dayStart is 00:00 of t's day, plus days, in t's zone, in UTC ms.
func dayStart(t time.Time, days int) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d+days, 0, 0, 0, 0, t.Location()).UnixMilli()
}

// dailyRequest asks GetBizUsage or GetBizQuality for days of metrics by ZEGO's names. A day's
// point time is its 00:00 in loc.
type dailyRequest struct {
	action     zegoapi.Action
	metrics    []dailyMetric // the enabled ones, in ZEGO's order
	loc        *time.Location
	stampDay   bool
	passedOver *passedOverLog
}

var _ revisable = dailyRequest{}

func (r dailyRequest) name() string { return string(r.action) }

// query asks for the days whose 00:00 lies in (afterMs, untilMs].
func (r dailyRequest) query(afterMs, untilMs int64) zegoapi.Query {
	first := msTime(afterMs).In(r.loc)
	if dayStart(first, 0) <= afterMs {
		first = msTime(dayStart(first, 1)).In(r.loc)
	}
	q := zegoapi.Query{Action: r.action, StartDate: first.Format("20060102"), EndDate: msTime(untilMs).In(r.loc).Format("20060102")}
	for _, m := range r.metrics {
		q.Metrics = append(q.Metrics, m.zego)
	}
	return q
}

// days are the points of a at the times take accepts for each metric of r, in r's order: each
// day once (the first in answer order wins), ascending, at its 00:00 in r.loc.
func (r dailyRequest) days(a *zegoapi.Answer, take func(int64) bool) [][]zegoapi.Point {
	out := make([][]zegoapi.Point, len(r.metrics))
	for i, m := range r.metrics {
		var pts []zegoapi.Point
		for _, s := range a.Series {
			if s.Metric != m.zego {
				continue
			}
			for _, pt := range s.Points {
				// DecodeDaily gives the day's 00:00 UTC: the same date in r.loc.
				utc := msTime(pt.TimestampMs)
				pt.TimestampMs = time.Date(utc.Year(), utc.Month(), utc.Day(), 0, 0, 0, 0, r.loc).UnixMilli()
				if take(pt.TimestampMs) {
					pts = append(pts, pt)
				}
			}
		}
		slices.SortStableFunc(pts, func(a, b zegoapi.Point) int { return cmp.Compare(a.TimestampMs, b.TimestampMs) })
		out[i] = slices.CompactFunc(pts, func(a, b zegoapi.Point) bool { return a.TimestampMs == b.TimestampMs })
	}
	return out
}

// record records each day at its 00:00 or, by collection time, only the newest day taken,
// stamped now: older days of the same answer would share its timestamp, so they are passed over.
func (r dailyRequest) record(mb *metadata.MetricsBuilder, a *zegoapi.Answer, take func(int64) bool) (invalid int) {
	days := r.days(a, take)
	newest := int64(math.MinInt64)
	for _, pts := range days {
		if len(pts) > 0 {
			newest = max(newest, pts[len(pts)-1].TimestampMs)
		}
	}
	now, passed := pcommon.NewTimestampFromTime(time.Now()), 0
	for i, m := range r.metrics {
		for _, pt := range days[i] {
			ts := pcommon.Timestamp(pt.TimestampMs * int64(time.Millisecond))
			if !r.stampDay {
				if pt.TimestampMs < newest {
					passed++
					continue
				}
				ts = now
			}
			if math.IsNaN(pt.Value) || !m.record(mb, ts, pt.Value) {
				invalid++
			}
		}
	}
	r.passedOver.add(passed, msTime(newest))
	return invalid
}

func (r dailyRequest) values(a *zegoapi.Answer, take func(int64) bool) map[int64]map[string]float64 {
	out := map[int64]map[string]float64{}
	for i, pts := range r.days(a, take) {
		for _, pt := range pts {
			if math.IsNaN(pt.Value) {
				continue
			}
			if out[pt.TimestampMs] == nil {
				out[pt.TimestampMs] = map[string]float64{}
			}
			out[pt.TimestampMs][r.metrics[i].zego] = pt.Value
		}
	}
	return out
}

// passedOverLog says once, at Info, that days were passed over by collection time.
type passedOverLog struct {
	logger *zap.Logger
	once   sync.Once
}

func (l *passedOverLog) add(points int, newest time.Time) {
	if points == 0 {
		return
	}
	log := l.logger.Debug
	l.once.Do(func() { log = l.logger.Info })
	log("Older days of the answer were passed over: with timestamps: collection only the newest day is sent, stamped at collection time; use timestamps: day to backfill",
		zap.Int("points", points), zap.Time("newest_day", newest))
}

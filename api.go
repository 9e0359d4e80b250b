// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// apiSpec is one ZEGO interface the receiver can poll. Adding an interface is a file with its
// requests and a line here.
type apiSpec struct {
	action   zegoapi.Action
	attr     metadata.AttributeAPI
	metrics  []string // the metrics it feeds: it is called when one of them is enabled
	settings string   // its own section of the config, if it has one
	// schedule is how it is polled under cfg, whose enabled metrics are enabled; logger is the
	// poller's, for what its requests say.
	schedule func(cfg *Config, enabled map[string]bool, logger *zap.Logger) schedule
}

var apiSpecs = []apiSpec{
	{zegoapi.ActionUsage, metadata.AttributeAPIGetRealtimeUsage, realtimeNames(usageMetrics), "", realtimeSchedule(zegoapi.ActionUsage, usageMetrics, 2*time.Hour)},
	{zegoapi.ActionQuality, metadata.AttributeAPIGetRealtimeQuality, realtimeNames(qualityMetrics), "", realtimeSchedule(zegoapi.ActionQuality, qualityMetrics, 2*time.Hour)},
	{zegoapi.ActionRegion, metadata.AttributeAPIGetRegionQualityDetail, regionMetricNames(), "region_quality", regionSchedule},
	{zegoapi.ActionBizUsage, metadata.AttributeAPIGetBizUsage, dailyNames(bizUsageMetrics), "daily", dailySchedule(zegoapi.ActionBizUsage, bizUsageMetrics)},
	{zegoapi.ActionBizQuality, metadata.AttributeAPIGetBizQuality, dailyNames(bizQualityMetrics), "daily", dailySchedule(zegoapi.ActionBizQuality, bizQualityMetrics)},
}

// schedule is what each poll of an interface calls for, one call a request, and how often.
type schedule struct {
	requests    []request
	interval    time.Duration
	intervalKey string // the setting interval comes from
	detail      string // what the plan line adds to the number of metrics, if anything
	timing      timing
}

// timing is how an interface's points come in time, which shapes every window it asks for.
type timing struct {
	// newest is the newest point time, UTC ms, that can be published at now.
	newest func(now time.Time) int64
	// lookback is how far before newest the first window starts when there is no checkpoint,
	// as lookbackKey sets it; lookbackFrom says so in a log line.
	lookback     time.Duration
	lookbackKey  string
	lookbackFrom string
	// retention is how far back ZEGO serves points. plans are the shorter retentions ZEGO's
	// plans may have, longest first: when ZEGO refuses a range longer than plans[0], the
	// interface falls back to it (see poller.planRefused).
	retention time.Duration
	plans     []time.Duration
	// lateWindow is how far behind its cursor each call asks again, for points published late
	// (and, for a revisable request, for revisions of those delivered).
	lateWindow time.Duration
	// toNewest moves the cursor only to the newest point received rather than to the end of
	// the window: an answer without a new point means "not published yet", so the next poll
	// asks again, and a window whose newest point is in is empty: no call.
	toNewest bool
	// backfill is the window length beyond which a call waits for a backfill slot (see
	// largeWindow); 0: never, for answers that stay small whatever their window.
	backfill time.Duration
}

// lag is how far behind what can be had a cursor at afterMs is at now.
func (tm timing) lag(now time.Time, afterMs int64) time.Duration {
	return time.Duration(tm.newest(now)-afterMs) * time.Millisecond
}

// A request is one call a poll makes. Its name keys its cursor in the interface's checkpoint
// and stands for it in logs.
type request interface {
	name() string
	// query asks for the points of (afterMs, untilMs].
	query(afterMs, untilMs int64) zegoapi.Query
	// record adds to mb the points of a at the times take accepts, each series in ascending
	// time order and each time once (the first in answer order wins). It returns how many of
	// them did not fit their metric.
	record(mb *metadata.MetricsBuilder, a *zegoapi.Answer, take func(ms int64) bool) (invalid int)
}

// enabledMetrics is whether each metric is enabled in cfg, by name: mdatagen's MetricsConfig has
// a field per metric, named by its mapstructure tag, each with an Enabled.
func enabledMetrics(cfg metadata.MetricsConfig) map[string]bool {
	enabled := map[string]bool{}
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		enabled[v.Type().Field(i).Tag.Get("mapstructure")] = v.Field(i).FieldByName("Enabled").Bool()
	}
	return enabled
}

// called reports whether spec is called: when one of its metrics is enabled.
func (spec apiSpec) called(enabled map[string]bool) bool {
	return slices.ContainsFunc(spec.metrics, func(name string) bool { return enabled[name] })
}

// metricNames are the names of every metric the receiver emits, sorted.
func metricNames() []string {
	return slices.Sorted(maps.Keys(enabledMetrics(metadata.DefaultMetricsConfig())))
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// apiSpec is one ZEGO interface the receiver can poll. Adding an interface is a file with its
// requests and a line here.
type apiSpec struct {
	action    zegoapi.Action
	attr      metadata.AttributeAPI
	retention time.Duration // how far back ZEGO serves its points
	metrics   []string      // the metrics it feeds: it is called when one of them is enabled
	settings  string        // its own section of the config, if it has one
	// schedule is how it is polled under cfg, whose enabled metrics are enabled.
	schedule func(cfg *Config, enabled map[string]bool) schedule
}

var apiSpecs = []apiSpec{
	{zegoapi.ActionUsage, metadata.AttributeAPIGetRealtimeUsage, 2 * time.Hour, realtimeNames(usageMetrics), "", realtimeSchedule(zegoapi.ActionUsage, usageMetrics)},
	{zegoapi.ActionQuality, metadata.AttributeAPIGetRealtimeQuality, 2 * time.Hour, realtimeNames(qualityMetrics), "", realtimeSchedule(zegoapi.ActionQuality, qualityMetrics)},
	{zegoapi.ActionRegion, metadata.AttributeAPIGetRegionQualityDetail, time.Hour, regionMetricNames(), "region_quality", regionSchedule},
}

// schedule is what each poll of an interface calls for, one call a request, and how often.
type schedule struct {
	requests    []request
	interval    time.Duration
	intervalKey string // the setting interval comes from
	detail      string // what the plan line adds to the number of metrics, if anything
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

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package deploy_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

const dashboardPath = "../examples/grafana/zego-realtime.json"

// promUnitSuffix is the suffix the prometheus_remote_write (and prometheus) exporter adds for a
// gauge's unit at v0.165 (otlptranslator, default translation with suffixes): none for an
// annotation such as {user}, _percent for %, _milliseconds for ms.
var promUnitSuffix = map[string]string{"%": "_percent", "ms": "_milliseconds"}

// promNamesFromMetadata returns the names Prometheus stores the receiver's metrics under,
// derived from metadata.yaml as the prometheus_remote_write (and prometheus) exporter derives
// them: dots become underscores, and the unit adds promUnitSuffix, or for unit 1 moves any word
// ratio to the end, or adds it there; a gauge gets no _total. A
// metric for which that rule would not hold fails the test, so the rule cannot silently go
// stale. It also returns the names of the receiver's own telemetry on the collector's internal
// metrics endpoint, where v0.165 adds neither unit nor _total (its Prometheus reader defaults to
// without_units and without_type_suffix): otelcol_ and the name in metadata.yaml. And it returns
// the label of the app id resource attribute.
func promNamesFromMetadata(t *testing.T) (names, telemetry []string, appLabel string) {
	t.Helper()
	cm, err := confmaptest.LoadConf("../metadata.yaml")
	require.NoError(t, err)
	metrics, err := cm.Sub("metrics")
	require.NoError(t, err)
	annotation := regexp.MustCompile(`^\{[^{}]*\}$`)
	for name, def := range metrics.ToStringMap() {
		fields, ok := def.(map[string]any)
		require.True(t, ok, "metadata.yaml: metrics::%s is not a map", name)
		unit, _ := fields["unit"].(string)
		_, gauge := fields["gauge"]
		suffix, known := promUnitSuffix[unit]
		if !gauge || !known && !annotation.MatchString(unit) && unit != "1" {
			t.Errorf("metadata.yaml: %s (unit %q, gauge %v): Prometheus adds a suffix promNamesFromMetadata does not know; extend it", name, unit, gauge)
		}
		prom := strings.ReplaceAll(name, ".", "_") + suffix
		if unit == "1" {
			prom = strings.Join(append(slices.DeleteFunc(strings.Split(prom, "_"), func(w string) bool { return w == "ratio" }), "ratio"), "_")
		}
		names = append(names, prom)
	}
	slices.Sort(names)
	internal, err := cm.Sub("telemetry::metrics")
	require.NoError(t, err)
	for name := range internal.ToStringMap() {
		telemetry = append(telemetry, "otelcol_"+name)
	}
	slices.Sort(telemetry)
	resource, err := cm.Sub("resource_attributes")
	require.NoError(t, err)
	_, ok := resource.ToStringMap()["zego.app_id"]
	require.True(t, ok, "metadata.yaml has no resource attribute zego.app_id")
	return names, telemetry, "zego_app_id"
}

type dashboardTarget struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

type dashboardPanel struct {
	ID         int               `json:"id"`
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Interval   string            `json:"interval"` // the least step
	TimeFrom   string            `json:"timeFrom"` // the panel's own time range
	Datasource map[string]string `json:"datasource"`
	Targets    []dashboardTarget `json:"targets"`
	Panels     []dashboardPanel  `json:"panels"` // a row's panels
	Options    struct {
		Layers []struct { // a geomap's
			Location struct {
				Lookup string `json:"lookup"`
			} `json:"location"`
		} `json:"layers"`
	} `json:"options"`
}

type dashboard struct {
	Title         string           `json:"title"`
	UID           string           `json:"uid"`
	SchemaVersion int              `json:"schemaVersion"`
	Panels        []dashboardPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Query      any               `json:"query"`
			Definition string            `json:"definition"`
			Datasource map[string]string `json:"datasource"`
			IncludeAll bool              `json:"includeAll"`
			AllValue   string            `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

var (
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)                             // [15m], [$__interval]
	promOffset   = regexp.MustCompile(`\boffset\b(\s+-?\w+)?`)                  // offset 1w, offset -1d
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring)\s*\([^)]*\)`) // label lists
	// A brace block on its own, or an identifier with what follows it: "(" for a function, a
	// brace block for a selector.
	// dailySelector: a daily metric's selector, and the range it looks back over.
	dailySelector  = regexp.MustCompile(`\b(zego_daily_\w+)\s*(?:\{[^{}]*\})?\s*(\[[^\]]*\])?`)
	promWholeRange = regexp.MustCompile(`^\[(\d+)([hdw])\]$`)
	promToken      = regexp.MustCompile(`\{[^{}]*\}|([A-Za-z_:][A-Za-z0-9_:]*)\s*(\(|\{[^{}]*\})?`)
)

// dashboardSelectors returns each metric selector of a PromQL expression: the metric name and
// its label matchers ("" when it has none). Written for the dashboard's plain queries (functions,
// aggregations, range selectors, offsets), not for all of PromQL.
func dashboardSelectors(expr string) (names, matchers []string) {
	e := promRange.ReplaceAllString(expr, "")
	e = promOffset.ReplaceAllString(e, "")
	e = promGrouping.ReplaceAllString(e, "")
	for _, m := range promToken.FindAllStringSubmatch(e, -1) {
		if m[1] == "" || m[2] == "(" {
			continue // a lone brace block, or a function or aggregation
		}
		names = append(names, m[1])
		matchers = append(matchers, m[2])
	}
	return names, matchers
}

// TestGrafanaDashboard checks examples/grafana/zego-realtime.json: it parses; every panel
// queries the templated Prometheus data source; every metric a query names is one the receiver
// emits or one of its own telemetry, under Prometheus' naming (see promNamesFromMetadata), and is
// filtered by zego_app_id=~"$app_id"; the app_id variable lists the app id label of one of those
// metrics and its All value is .*, which also matches series without the label (an absent label
// is the empty string in PromQL), so every panel works whether or not the exporter keeps it; each
// metric the receiver emits has a time series panel, but the zego.region.* metrics, which the
// Quality by country row shows on a map and in a table by country and platform; the zego.daily.*
// metrics are in the Daily row, over weeks, a day at a time.
func TestGrafanaDashboard(t *testing.T) {
	emitted, _, appLabel := promNamesFromMetadata(t)

	raw, err := os.ReadFile(filepath.FromSlash(dashboardPath))
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(raw, &d), "%s is not valid JSON", dashboardPath)
	assert.NotEmpty(t, d.Title)
	assert.NotEmpty(t, d.UID)
	assert.GreaterOrEqual(t, d.SchemaVersion, 36, "schemaVersion")

	// Variables: a Prometheus data source, and app_id from the app id label.
	vars := map[string]int{}
	for i, v := range d.Templating.List {
		vars[v.Name] = i
	}
	require.Contains(t, vars, "datasource", "no datasource variable")
	ds := d.Templating.List[vars["datasource"]]
	assert.Equal(t, "datasource", ds.Type)
	assert.Equal(t, "prometheus", ds.Query)
	require.Contains(t, vars, "app_id", "no app_id variable")
	app := d.Templating.List[vars["app_id"]]
	assert.Equal(t, "query", app.Type)
	assert.Equal(t, "${datasource}", app.Datasource["uid"])
	assert.True(t, app.IncludeAll, "app_id variable: includeAll")
	assert.Equal(t, ".*", app.AllValue, "app_id variable: allValue must match series without the label too")
	labelValues := regexp.MustCompile(`^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$`)
	queries := []string{app.Definition}
	if q, ok := app.Query.(map[string]any); ok {
		queries = append(queries, fmt.Sprint(q["query"]))
	} else {
		queries = append(queries, fmt.Sprint(app.Query))
	}
	for _, q := range queries {
		m := labelValues.FindStringSubmatch(q)
		if assert.NotNil(t, m, "app_id variable query %q is not label_values(metric, label)", q) {
			assert.Contains(t, emitted, m[1], "app_id variable query %q", q)
			assert.Equal(t, appLabel, m[2], "app_id variable query %q", q)
		}
	}

	// Panels.
	appFilter := regexp.MustCompile(`\b` + appLabel + `\s*=~\s*"\$(app_id|\{app_id\})"`)
	var panels []dashboardPanel
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			panels = append(panels, p)
		}
	}
	walk(d.Panels)
	require.NotEmpty(t, panels)

	ids := map[int]bool{}
	graphed := map[string]bool{}
	used := map[string]bool{}
	for _, p := range panels {
		assert.False(t, ids[p.ID], "panel id %d used twice", p.ID)
		ids[p.ID] = true
		assert.Equal(t, "${datasource}", p.Datasource["uid"], "panel %q: data source", p.Title)
		assert.Equal(t, "prometheus", p.Datasource["type"], "panel %q: data source type", p.Title)
		if !assert.NotEmpty(t, p.Targets, "panel %q has no query", p.Title) {
			continue
		}
		for _, target := range p.Targets {
			where := fmt.Sprintf("panel %q, query %s: %s", p.Title, target.RefID, target.Expr)
			names, matchers := dashboardSelectors(target.Expr)
			checkMetrics(t, where, names)
			for i, name := range names {
				assert.Regexp(t, appFilter, matchers[i], "%s: the selector of %s does not filter by the app_id variable", where, name)
				used[name] = true
				if p.Type == "timeseries" {
					graphed[name] = true
				}
			}
		}
	}
	for _, name := range emitted {
		assert.True(t, graphed[name] || strings.HasPrefix(name, "zego_region_"), "no time series panel shows %s", name)
	}

	i := slices.IndexFunc(d.Panels, func(p dashboardPanel) bool { return strings.HasPrefix(p.Title, "Quality by country") })
	require.GreaterOrEqual(t, i, 0, "no Quality by country row")
	kinds := map[string]bool{}
	for _, p := range d.Panels[i].Panels {
		kinds[p.Type] = true
		for _, target := range p.Targets {
			assert.Contains(t, target.Expr, "by (geo_country_iso_code", "panel %q: by country", p.Title)
			if p.Type == "table" {
				assert.Contains(t, target.Expr, "zego_platform)", "panel %q: by country and platform", p.Title)
			}
		}
		if p.Type == "geomap" && assert.NotEmpty(t, p.Options.Layers, "geomap %q has no layer", p.Title) {
			assert.Equal(t, "geo_country_iso_code", p.Options.Layers[0].Location.Lookup, "geomap %q: located by", p.Title)
		}
	}
	assert.True(t, kinds["geomap"] && kinds["table"], "the Quality by country row has %v, not a geomap and a table", kinds)

	// The daily metrics, one sample a day stamped when it arrives: in the Daily row only; each
	// selector looks back a day or more, or it would miss the day most of the time; each time
	// series spans weeks (its own time range, as the dashboard's is hours) with a step of a day.
	i = slices.IndexFunc(d.Panels, func(p dashboardPanel) bool { return strings.HasPrefix(p.Title, "Daily") })
	require.GreaterOrEqual(t, i, 0, "no Daily row")
	inRow := map[int]bool{}
	for _, p := range d.Panels[i].Panels {
		inRow[p.ID] = true
	}
	for _, p := range panels {
		daily := false
		for _, target := range p.Targets {
			for _, m := range dailySelector.FindAllStringSubmatch(target.Expr, -1) {
				daily = true
				assert.GreaterOrEqual(t, promDuration(m[2]), 24*time.Hour, "panel %q, query %s: %s looks back %q, less than a day", p.Title, target.RefID, m[1], m[2])
			}
		}
		assert.Equal(t, daily, inRow[p.ID], "panel %q: queries a zego_daily_ metric (%v) but is in the Daily row (%v)", p.Title, daily, inRow[p.ID])
		if daily && p.Type == "timeseries" {
			assert.Equal(t, "1d", p.Interval, "panel %q: step", p.Title)
			assert.GreaterOrEqual(t, promDuration("["+p.TimeFrom+"]"), 14*24*time.Hour, "panel %q: time range %q", p.Title, p.TimeFrom)
		}
	}
	t.Logf("%d panels; metrics queried: %v", len(panels), slices.Sorted(maps.Keys(used)))
}

// promDuration is a range such as [26h] or [1w] in whole hours, days or weeks; 0 for none, or
// for any other form.
func promDuration(r string) time.Duration {
	m := promWholeRange.FindStringSubmatch(r)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return time.Duration(n) * map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
}

// TestDashboardSelectors pins down how the dashboard test reads PromQL, so that a query it
// misreads cannot pass unnoticed.
func TestDashboardSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		names    []string
		matchers []string
	}{
		{`zego_realtime_online_user`, []string{"zego_realtime_online_user"}, []string{""}},
		{
			`sum(last_over_time(zego_realtime_online_user{zego_app_id=~"$app_id"}[15m]))`,
			[]string{"zego_realtime_online_user"},
			[]string{`{zego_app_id=~"$app_id"}`},
		},
		{
			`max by (zego_app_id) (max_over_time(zego_realtime_mix_concurrent {zego_app_id="$app_id"}[$__interval]))`,
			[]string{"zego_realtime_mix_concurrent"},
			[]string{`{zego_app_id="$app_id"}`},
		},
		{
			`zego_realtime_online_user{zego_app_id=~"$app_id"} / on (zego_app_id) zego_realtime_room_concurrent`,
			[]string{"zego_realtime_online_user", "zego_realtime_room_concurrent"},
			[]string{`{zego_app_id=~"$app_id"}`, ""},
		},
		{
			`max by (zego_app_id) (last_over_time(zego_daily_publish_count{zego_app_id=~"$app_id"}[1d] offset -1d)) / max by (zego_app_id) (last_over_time(zego_daily_publish_count{zego_app_id=~"$app_id"}[1d] offset 6d)) - 1`,
			[]string{"zego_daily_publish_count", "zego_daily_publish_count"},
			[]string{`{zego_app_id=~"$app_id"}`, `{zego_app_id=~"$app_id"}`},
		},
		{
			`sum by (api, outcome) (rate(otelcol_receiver_zego_api_calls{zego_app_id=~"$app_id"}[15m])) * 3600`,
			[]string{"otelcol_receiver_zego_api_calls"},
			[]string{`{zego_app_id=~"$app_id"}`},
		},
	} {
		names, matchers := dashboardSelectors(tc.expr)
		assert.Equal(t, tc.names, names, tc.expr)
		assert.Equal(t, tc.matchers, matchers, tc.expr)
	}
}

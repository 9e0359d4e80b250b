// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

// The check behind TestPrometheusRemoteWrite, as a pure function with its own table test, which
// needs neither the e2e build tag nor the binary.

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// promRun is what one run left, as checkPromRun sees it.
type promRun struct {
	appID    string
	expected map[string]map[int64]float64 // Prometheus name -> ZEGO timestamp (ms) -> value
	stored   map[string][]promSeries      // Prometheus name -> the series a range query returned
	emitted  float64                      // otelcol_receiver_zego_points_emitted
	sent     float64                      // otelcol_exporter_sent_metric_points of the remote-write exporter
}

type promSeries struct {
	labels  map[string]string
	samples map[int64][]float64 // timestamp (ms) -> the values at it
}

// checkPromRun lists every way run differs from exactly-once delivery at ZEGO's timestamps:
// Prometheus must hold one series per metric, labeled with the App ID, whose samples are the
// expected ones exactly (a missing or a mis-stamped sample shows); and as Prometheus drops a
// resent identical sample silently, the collector's own counters must agree: the receiver
// emitted each expected point once and the exporter sent each emitted point once.
func checkPromRun(run promRun) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	total := 0
	for _, name := range slices.Sorted(maps.Keys(run.expected)) {
		want := run.expected[name]
		total += len(want)
		series := run.stored[name]
		if len(series) != 1 {
			report("%s: %d series, want 1", name, len(series))
		}
		for _, s := range series {
			if s.labels["zego_app_id"] != run.appID {
				report("%s: label zego_app_id = %q, want %q", name, s.labels["zego_app_id"], run.appID)
			}
			for _, ts := range slices.Sorted(maps.Keys(s.samples)) {
				if _, ok := want[ts]; !ok {
					report("%s: a sample at %d, where ZEGO has no point", name, ts)
				}
			}
			for _, ts := range slices.Sorted(maps.Keys(want)) {
				switch got := s.samples[ts]; {
				case len(got) == 0:
					report("%s: no sample at %d", name, ts)
				case len(got) > 1:
					report("%s: %d samples at %d", name, len(got), ts)
				case got[0] != want[ts]:
					report("%s at %d: %v, the simulator served %v", name, ts, got[0], want[ts])
				}
			}
		}
	}
	if run.emitted != float64(total) {
		report("the receiver emitted %v points, the simulator answered %d", run.emitted, total)
	}
	if run.sent != run.emitted {
		report("the exporter sent %v points, the receiver emitted %v", run.sent, run.emitted)
	}
	return problems
}

func TestCheckPromRun(t *testing.T) {
	good := func() promRun {
		return promRun{
			appID:    "7",
			expected: map[string]map[int64]float64{"m": {1767: 1, 2767: 2}},
			stored: map[string][]promSeries{"m": {{
				labels: map[string]string{"zego_app_id": "7"}, samples: map[int64][]float64{1767: {1}, 2767: {2}},
			}}},
			emitted: 2, sent: 2,
		}
	}
	for _, tt := range []struct {
		name  string
		spoil func(*promRun)
		fails bool
	}{
		{"exact", func(*promRun) {}, false},
		{"missing", func(r *promRun) { delete(r.stored["m"][0].samples, 2767) }, true},
		{"mis-stamped", func(r *promRun) {
			delete(r.stored["m"][0].samples, 2767)
			r.stored["m"][0].samples[2000] = []float64{2}
		}, true},
		{"doubled by the exporter", func(r *promRun) { r.sent = 3 }, true},
		{"doubled by the receiver", func(r *promRun) { r.emitted, r.sent = 3, 3 }, true},
		{"wrong value", func(r *promRun) { r.stored["m"][0].samples[1767] = []float64{5} }, true},
		{"no app label", func(r *promRun) { r.stored["m"][0].labels = nil }, true},
		{"two series", func(r *promRun) { r.stored["m"] = append(r.stored["m"], r.stored["m"][0]) }, true},
	} {
		run := good()
		tt.spoil(&run)
		if problems := checkPromRun(run); (len(problems) > 0) != tt.fails {
			t.Errorf("%s: problems %q, want failure %v", tt.name, problems, tt.fails)
		}
	}
}

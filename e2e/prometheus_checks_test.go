//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// TestPrometheusChecksCatchFaults shows that the checks of TestPrometheusRemoteWrite fail when a
// sample is missing, duplicated, stamped with the wrong time, valued or labelled wrongly, or
// refused by Prometheus: it feeds checkPromRun a correct run, then runs broken in one way each,
// shaped as Prometheus 2.42 and the tap would really see them. It needs no Prometheus.
func TestPrometheusChecksCatchFaults(t *testing.T) {
	t.Parallel()
	if errs := runChecks(goodPromRun()); len(errs) > 0 {
		t.Fatalf("a correct run fails the checks:\n%s", strings.Join(errs, "\n"))
	}

	const victim = "zego_realtime_online_user"
	faults := []struct {
		name     string
		breakRun func(r *promRun)
		want     string // in some report
	}{
		{"a sample never sent", func(r *promRun) {
			dropSample(r, victim, 5)
			r.counters[appendedKey]--
		}, "missing"},
		{"the first sample never sent", func(r *promRun) {
			dropSample(r, victim, 0)
			r.counters[appendedKey]--
		}, "missing"},
		{"the newest sample sent again (Prometheus drops it silently)", func(r *promRun) {
			ws := wireOf(r, victim)
			r.wire = append(r.wire, ws[len(ws)-1])
		}, "more than once"},
		{"an older sample sent again (Prometheus refuses the request as out of order)", func(r *promRun) {
			ws := wireOf(r, victim)
			r.wire = append(r.wire, ws[3]) // as the tap records it: only 2xx requests count
			r.refused = append(r.refused, "HTTP 400: out of order sample")
			r.counters[`prometheus_tsdb_out_of_order_samples_total{type="float"}`] = 1
			r.counters[`prometheus_http_requests_total{code="400",handler="/api/v1/write"}`] = 1
			r.requests++
		}, "out_of_order"},
		{"one sample stamped a second late (onto its neighbour)", func(r *promRun) {
			shiftSample(r, victim, 7, time.Second)
		}, "missing"},
		{"one sample stamped a millisecond late", func(r *promRun) {
			shiftSample(r, victim, 7, time.Millisecond)
		}, "never served"},
		{"samples stamped on the whole second (arrival or scrape time)", func(r *promRun) {
			for i := range r.stored[victim][0].samples {
				shiftSample(r, victim, i, -promPhaseMs*time.Millisecond)
			}
		}, "never served"},
		{"a wrong value", func(r *promRun) {
			r.stored[victim][0].samples[2].value++
		}, "value other than"},
		{"the app id label missing", func(r *promRun) {
			delete(r.stored[victim][0].labels, "zego_app_id")
		}, "zego_app_id"},
		{"a second series (e.g. a label that changed)", func(r *promRun) {
			s := r.stored[victim][0]
			r.stored[victim] = append(r.stored[victim], promSeries{labels: maps.Clone(s.labels), samples: slices.Clone(s.samples[:1])})
		}, "2 series"},
		{"a metric under another name (e.g. a unit suffix)", func(r *promRun) {
			r.names = append(r.names, "zego_realtime_online_user_users")
			slices.Sort(r.names)
		}, "metric names"},
		{"target_info", func(r *promRun) {
			r.names = append(r.names, "target_info")
			slices.Sort(r.names)
		}, "metric names"},
		{"fewer samples appended than expected", func(r *promRun) {
			r.counters[appendedKey] -= 2
		}, "appended"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			run := goodPromRun()
			f.breakRun(&run)
			errs := runChecks(run)
			if len(errs) == 0 {
				t.Fatalf("the checks pass a run with %s", f.name)
			}
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, f.want) }) {
				t.Errorf("no report mentions %q:\n%s", f.want, strings.Join(errs, "\n"))
			}
		})
	}
}

const appendedKey = `prometheus_tsdb_head_samples_appended_total{type="float"}`

// collectingReporter records what the checks report.
type collectingReporter struct{ errs []string }

func (*collectingReporter) Helper() {}

func (c *collectingReporter) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func runChecks(run promRun) []string {
	var c collectingReporter
	checkPromRun(&c, run)
	return c.errs
}

// goodPromRun is a run in which everything went right: 30 s of points of the six metrics,
// stored and sent once each, in 3 accepted requests.
func goodPromRun() promRun {
	appID := fmt.Sprint(testAppID)
	start := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
	times := zegosim.PointTimes(start, start+30_000, granularity, promPhaseMs)
	run := promRun{
		appID:    appID,
		expected: map[string]map[int64]int64{},
		stored:   map[string][]promSeries{},
		names:    promMetricNames(),
		requests: 3,
		counters: map[string]float64{
			`prometheus_http_requests_total{code="204",handler="/api/v1/write"}`: 3,
		},
	}
	for _, name := range promMetricNames() {
		labels := map[string]string{"__name__": name, "zego_app_id": appID, "otel_scope_name": "github.com/zego-otel/zegoreceiver"}
		run.expected[name] = map[int64]int64{}
		var samples []promSample
		for _, ts := range times {
			v := zegosim.Value(testSeed, testAppID, promAPIName(name), ts)
			run.expected[name][ts] = v
			samples = append(samples, promSample{tsMs: ts, value: float64(v)})
			run.wire = append(run.wire, wireSample{labels: labels, tsMs: ts, value: float64(v)})
		}
		run.stored[name] = []promSeries{{labels: maps.Clone(labels), samples: samples}}
		run.counters[appendedKey] += float64(len(times))
	}
	return run
}

func wireOf(r *promRun, name string) []wireSample {
	var out []wireSample
	for _, w := range r.wire {
		if w.labels["__name__"] == name {
			out = append(out, w)
		}
	}
	return out
}

// dropSample removes the i-th sample of name from the wire and from storage.
func dropSample(r *promRun, name string, i int) {
	s := &r.stored[name][0]
	ts := s.samples[i].tsMs
	s.samples = slices.Delete(s.samples, i, i+1)
	r.wire = slices.DeleteFunc(r.wire, func(w wireSample) bool { return w.labels["__name__"] == name && w.tsMs == ts })
}

// shiftSample moves the i-th sample of name by d on the wire and in storage.
func shiftSample(r *promRun, name string, i int, d time.Duration) {
	s := &r.stored[name][0]
	ts := s.samples[i].tsMs
	s.samples[i].tsMs += d.Milliseconds()
	for k := range r.wire {
		if r.wire[k].labels["__name__"] == name && r.wire[k].tsMs == ts {
			r.wire[k].tsMs += d.Milliseconds()
		}
	}
}

//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/golang/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// promSkipEnv=1 skips TestPrometheusRemoteWrite; otherwise a missing prometheus binary fails it.
const promSkipEnv = "ZEGO_E2E_SKIP_PROMETHEUS"

// promPhaseMs places the simulator's points 767 ms past the whole second, so that a point
// Prometheus holds at .767 can only carry ZEGO's timestamp, never a scrape or arrival time.
const promPhaseMs = 767

// TestPrometheusRemoteWrite runs the distribution against the simulator with the
// prometheus_remote_write exporter into a real Prometheus (Debian's 2.42 in CI; see
// scripts/ensure-prometheus.sh) and then asks Prometheus' HTTP API what it holds.
//
// What is expected is taken from the simulator's side: a wrapper around it records every point
// of every successful answer inside the window the receiver keeps from that call. Once enough
// calls were answered the wrapper freezes (it answers 503 without consulting the simulator), so
// the expected set is final; the test waits until all of it has reached Prometheus, stops the
// collector (which flushes its queue) and checks, for each of the six metrics:
//
//   - Prometheus holds exactly one series, labelled zego_app_id="<app id>", whose samples are
//     exactly the expected timestamps, to the millisecond (no sample missing, none extra, none
//     moved), each with the simulator's value; and the expected timestamps are one contiguous
//     run at the simulator's spacing (zegosim.PointTimes);
//   - the remote-write requests, seen by a tap between the collector and Prometheus, carried
//     each of those samples exactly once, and Prometheus accepted every request;
//   - Prometheus' own counters agree (see checkPromCounters for which ones, and why).
//
// Prometheus' storage alone cannot show a duplicate: an exact repeat of a series' newest sample
// is dropped silently. So the duplicates are counted on the wire, and the counters confirm that
// Prometheus appended exactly the expected number of samples and refused none.
func TestPrometheusRemoteWrite(t *testing.T) {
	t.Parallel()
	bin := prometheusBinary(t)
	prom := startPrometheus(t, bin)
	tap := newRWTap(t, prom.url+"/api/v1/write")
	served, simURL := startServedSim(t)

	configPath := writePromCollectorConfig(t, promCollectorConfig{
		Endpoint: simURL,
		AppID:    testAppID,
		Secret:   testSecret,
		Interval: testInterval,
		Delay:    simDelay,
		WriteURL: tap.url() + "/api/v1/write",
	})
	started := time.Now()
	col := startCollector(t, "prometheus remote write", configPath)

	const calls = 8
	col.waitFor(2*time.Minute, fmt.Sprintf("%d successful GetRealtimeUsage answers", calls), func() bool { return served.answered() >= calls })
	served.freeze()
	// Once no call is in flight, what was served is final: wait until all of it went out in
	// requests Prometheus accepted, or Prometheus refused one. Giving up is not fatal in itself,
	// as the checks below say what did not arrive; the exporter sends within milliseconds of an
	// answer, so 15 s without a request means nothing more is coming.
	const quiet = 15 * time.Second
	var expected map[string]map[int64]int64
	for idleSince := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if col.exited() {
			t.Fatalf("the collector exited while delivering: %v", col.err)
		}
		if !served.idle() {
			idleSince = time.Now()
			continue
		}
		expected = served.expected()
		if tap.refused() > 0 || tap.covers(expected) {
			break
		}
		if last := tap.lastRequest(); time.Since(idleSince) > quiet && time.Since(last) > quiet {
			t.Errorf("not every served point reached Prometheus; no remote write for %v", quiet)
			break
		}
	}
	col.stop() // flushes the exporter's queue: whatever it still sends, the tap sees
	t.Logf("collector ran %v; %d answers served, %d remote-write requests", time.Since(started).Round(time.Millisecond), served.answered(), tap.requestCount())

	run := promRun{
		appID:    fmt.Sprint(testAppID),
		expected: expected,
		wire:     tap.acceptedSamples(),
		refused:  tap.refusedAnswers(),
		stored:   map[string][]promSeries{},
		requests: tap.acceptedCount(),
	}
	for _, name := range promMetricNames() {
		run.stored[name] = prom.rawSamples(name, time.Hour)
	}
	run.names = prom.metricNames()
	run.counters = prom.counters()
	checkPromRun(t, run)
	t.Logf("Prometheus' counters: %v samples appended, %v remote writes answered 204; the tap saw %d samples in %d accepted requests",
		run.counters[`prometheus_tsdb_head_samples_appended_total{type="float"}`],
		run.counters[`prometheus_http_requests_total{code="204",handler="/api/v1/write"}`], len(run.wire), run.requests)

	checkDashboardQueries(t, prom, run)

	for _, name := range promMetricNames() {
		for _, s := range run.stored[name] {
			if len(s.samples) > 0 {
				t.Logf("Prometheus holds %s%s: %d samples, %s .. %s", name, formatLabels(s.labels), len(s.samples),
					time.UnixMilli(s.samples[0].tsMs).UTC().Format(time.RFC3339Nano),
					time.UnixMilli(s.samples[len(s.samples)-1].tsMs).UTC().Format(time.RFC3339Nano))
			}
		}
	}
}

// promMetricNames is the six metrics under Prometheus' naming: dots become underscores, and
// as their units are all annotations ({user}, {stream}, ...) and they are gauges, no suffix.
func promMetricNames() []string {
	var names []string
	for name := range metricNames {
		names = append(names, strings.ReplaceAll(name, ".", "_"))
	}
	slices.Sort(names)
	return names
}

// promAPIName maps a Prometheus metric name back to the metric's name in ZEGO's API.
func promAPIName(promName string) string {
	for name, api := range metricNames {
		if strings.ReplaceAll(name, ".", "_") == promName {
			return api
		}
	}
	return ""
}

// ---- what the test checks ----

// promReporter is the part of testing.T the checks use, so that they can be shown to fail.
type promReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// promRun is everything one run produced, as the checks see it.
type promRun struct {
	appID    string
	expected map[string]map[int64]int64 // Prometheus name -> timestamp (ms) -> value: what was served
	stored   map[string][]promSeries    // Prometheus name -> the series Prometheus holds
	names    []string                   // every metric name Prometheus holds
	wire     []wireSample               // the samples of the requests Prometheus accepted
	refused  []string                   // the requests Prometheus did not accept, described
	requests int                        // the requests Prometheus accepted, as the tap saw them
	counters map[string]float64         // Prometheus' own metrics, by name{labels}
}

type promSeries struct {
	labels  map[string]string
	samples []promSample
}

type promSample struct {
	tsMs  int64
	value float64
}

// checkPromRun reports every way run differs from exactly-once delivery at ZEGO's timestamps.
func checkPromRun(t promReporter, run promRun) {
	t.Helper()
	names := promMetricNames()
	step := granularity.Milliseconds()

	for _, name := range names {
		want := run.expected[name]
		if len(want) < 10 {
			t.Errorf("%s: only %d points were served; the run proves little", name, len(want))
		}
		// The served points must themselves be one contiguous run at the simulator's spacing:
		// a gap here would be a gap nobody could see in Prometheus.
		if len(want) > 0 {
			ts := slices.Sorted(maps.Keys(want))
			if grid := zegosim.PointTimes(ts[0]-1, ts[len(ts)-1], granularity, promPhaseMs); !slices.Equal(grid, ts) {
				t.Errorf("%s: the served points are not one contiguous run: %d points from %d to %d, the simulator's grid has %d",
					name, len(ts), ts[0], ts[len(ts)-1], len(grid))
			}
			for _, tsMs := range ts {
				if v := zegosim.Value(testSeed, testAppID, promAPIName(name), tsMs); v != want[tsMs] {
					t.Errorf("%s at %d: the simulator served %d, zegosim.Value says %d", name, tsMs, want[tsMs], v)
					break
				}
			}
		}

		// Storage: one series, the app's label, exactly the expected samples.
		series := run.stored[name]
		if len(series) != 1 {
			descr := []string{}
			for _, s := range series {
				descr = append(descr, formatLabels(s.labels))
			}
			t.Errorf("%s: Prometheus holds %d series, want 1: %v", name, len(series), descr)
		}
		for _, s := range series {
			if got := s.labels["zego_app_id"]; got != run.appID {
				t.Errorf("%s%s: label zego_app_id = %q, want %q", name, formatLabels(s.labels), got, run.appID)
			}
			if s.labels["__name__"] != name {
				t.Errorf("%s%s: __name__ = %q", name, formatLabels(s.labels), s.labels["__name__"])
			}
			compareSamples(t, name, "Prometheus holds", s.samples, want, step)
		}

		// The wire: every sample sent exactly once, in requests Prometheus accepted.
		var sent []promSample
		for _, w := range run.wire {
			if w.labels["__name__"] != name {
				continue
			}
			if got := w.labels["zego_app_id"]; got != run.appID {
				t.Errorf("%s at %d was sent with zego_app_id = %q, want %q", name, w.tsMs, got, run.appID)
			}
			sent = append(sent, promSample{tsMs: w.tsMs, value: w.value})
		}
		compareSamples(t, name, "the collector sent", sent, want, step)
	}

	for _, w := range run.wire {
		if !slices.Contains(names, w.labels["__name__"]) {
			t.Errorf("the collector sent a sample of an unexpected metric %s at %d", formatLabels(w.labels), w.tsMs)
			break
		}
	}
	if len(run.refused) > 0 {
		t.Errorf("Prometheus refused %d remote-write requests, e.g. %s", len(run.refused), run.refused[0])
	}
	if !slices.Equal(run.names, names) {
		t.Errorf("Prometheus holds the metric names %v, want exactly %v", run.names, names)
	}

	total := 0
	for _, name := range names {
		total += len(run.expected[name])
	}
	checkPromCounters(t, run.counters, total, run.requests)
}

// compareSamples checks that got holds each timestamp of want exactly once, with want's value,
// and nothing else; what names whose samples these are in the reports.
func compareSamples(t promReporter, name, what string, got []promSample, want map[int64]int64, step int64) {
	t.Helper()
	seen := map[int64]int{}
	var extra, wrong []string
	for _, s := range got {
		seen[s.tsMs]++
		v, ok := want[s.tsMs]
		switch {
		case !ok:
			extra = append(extra, fmt.Sprintf("%d (%s)", s.tsMs, time.UnixMilli(s.tsMs).UTC().Format(time.RFC3339Nano)))
		case float64(v) != s.value:
			wrong = append(wrong, fmt.Sprintf("%d: %v, want %d", s.tsMs, s.value, v))
		}
	}
	var missing, dups []string
	for _, ts := range slices.Sorted(maps.Keys(want)) {
		switch n := seen[ts]; {
		case n == 0:
			missing = append(missing, strconv.FormatInt(ts, 10))
		case n > 1:
			dups = append(dups, fmt.Sprintf("%d (%d times)", ts, n))
		}
	}
	for ts, n := range seen {
		if _, ok := want[ts]; !ok && n > 1 {
			dups = append(dups, fmt.Sprintf("%d (%d times)", ts, n))
		}
	}
	report := func(problem string, list []string) {
		if len(list) > 0 {
			t.Errorf("%s: %s %d samples %s (of %d expected at %d ms spacing): %s", name, what, len(list), problem, len(want), step, abbreviate(list))
		}
	}
	report("missing", missing)
	report("more than once", dups)
	report("at a timestamp ZEGO never served", extra)
	report("with a value other than the simulator's", wrong)
}

func abbreviate(list []string) string {
	if len(list) > 5 {
		return strings.Join(list[:5], ", ") + fmt.Sprintf(", ... (%d more)", len(list)-5)
	}
	return strings.Join(list, ", ")
}

// checkPromCounters checks Prometheus' own account of the run. In Prometheus 2.42 (Debian 12's):
//
//   - prometheus_tsdb_head_samples_appended_total{type="float"} counts the samples committed to
//     the head. Prometheus here scrapes nothing (its config has no scrape_configs and it records
//     no rules), so it counts exactly the remote-written samples it kept. An exact repeat of a
//     series' newest sample (same timestamp, same value) is subtracted again in the head
//     appender's Commit, silently: it must equal the number of distinct expected samples.
//   - A repeat of an older sample is refused as out of order (the out-of-order window is 0 by
//     default): prometheus_tsdb_out_of_order_samples_total{type="float"} counts it, and the
//     whole request is answered 400 and rolled back. Samples older than the head allows count in
//     prometheus_tsdb_out_of_bound_samples_total; too_old_samples is the same with an
//     out-of-order window. All must be 0 (a counter Prometheus never incremented is absent).
//   - A repeat with a different value (ErrDuplicateSampleForTimestamp) has no counter in 2.42,
//     only a 400 answer: prometheus_http_requests_total{handler="/api/v1/write"} must show every
//     request answered 204, as many as the tap forwarded.
//
// So a duplicate of the newest sample is invisible to Prometheus' counters and storage alike;
// only the tap between the collector and Prometheus can count it, which checkPromRun does.
func checkPromCounters(t promReporter, c map[string]float64, samples, requests int) {
	t.Helper()
	if got := c[`prometheus_tsdb_head_samples_appended_total{type="float"}`]; got != float64(samples) {
		t.Errorf("Prometheus appended %v samples (prometheus_tsdb_head_samples_appended_total), want %d", got, samples)
	}
	for _, name := range []string{
		`prometheus_tsdb_out_of_order_samples_total{type="float"}`,
		`prometheus_tsdb_out_of_bound_samples_total{type="float"}`,
		`prometheus_tsdb_too_old_samples_total{type="float"}`,
	} {
		if got := c[name]; got != 0 {
			t.Errorf("Prometheus refused samples: %s = %v", name, got)
		}
	}
	answered := 0.0
	for key, v := range c {
		if strings.HasPrefix(key, "prometheus_http_requests_total{") && strings.Contains(key, `handler="/api/v1/write"`) {
			answered += v
			if !strings.Contains(key, `code="204"`) {
				t.Errorf("Prometheus answered remote writes other than 204: %s = %v", key, v)
			}
		}
	}
	if answered != float64(requests) {
		t.Errorf("Prometheus answered %v remote-write requests, the tap forwarded %d", answered, requests)
	}
}

func formatLabels(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if k != "__name__" {
			parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// checkDashboardQueries runs every query of examples/grafana/zego-realtime.json against the
// Prometheus of the run, as Grafana would with app_id set to the test's app: each must answer,
// and the "latest" stats (last_over_time) and the interval peaks (max_over_time) must give the
// simulator's values. The app_id variable's label_values query must list the app.
func checkDashboardQueries(t *testing.T, prom *promServer, run promRun) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "grafana", "zego-realtime.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("the dashboard: %v", err)
	}
	var panels []dashPanel
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			panels = append(panels, p)
			walk(p.Panels) // a row's panels
		}
	}
	walk(d.Panels)
	// Evaluate one millisecond after the last point, with a one-minute $__interval.
	var lastMs int64
	for _, points := range run.expected {
		for ts := range points {
			lastMs = max(lastMs, ts)
		}
	}
	at := fmt.Sprintf("%d.%03d", (lastMs+1)/1000, (lastMs+1)%1000)
	interval := time.Minute
	queries := 0
	for _, p := range panels {
		for _, target := range p.Targets {
			expr := strings.NewReplacer("${app_id}", run.appID, "$app_id", run.appID,
				"${__interval}", "1m", "$__interval", "1m").Replace(target.Expr)
			var data struct {
				ResultType string `json:"resultType"`
				Result     []struct {
					Metric map[string]string  `json:"metric"`
					Value  [2]json.RawMessage `json:"value"`
				} `json:"result"`
			}
			prom.get("/api/v1/query", url.Values{"query": {expr}, "time": {at}}, &data)
			queries++
			if len(data.Result) != 1 {
				t.Errorf("dashboard panel %q: %s gives %d series, want 1", p.Title, expr, len(data.Result))
				continue
			}
			var text string
			if err := json.Unmarshal(data.Result[0].Value[1], &text); err != nil {
				t.Errorf("dashboard panel %q: %s: value %s: %v", p.Title, expr, data.Result[0].Value[1], err)
				continue
			}
			got, _ := strconv.ParseFloat(text, 64)
			name := ""
			for _, n := range promMetricNames() {
				if strings.Contains(expr, n+"{") {
					name = n
				}
			}
			points := run.expected[name]
			want, known := int64(0), true
			switch {
			case strings.Contains(expr, "last_over_time("):
				want = points[lastMs]
			case strings.Contains(expr, "max_over_time("):
				for ts, v := range points {
					if ts > lastMs+1-interval.Milliseconds() && ts <= lastMs+1 {
						want = max(want, v)
					}
				}
			default:
				known = false
			}
			if known && got != float64(want) {
				t.Errorf("dashboard panel %q: %s gives %v, the simulator's points give %d", p.Title, expr, got, want)
			}
		}
	}
	var apps []string
	prom.get("/api/v1/label/zego_app_id/values", url.Values{"match[]": {"zego_realtime_online_user"}}, &apps)
	if !slices.Equal(apps, []string{run.appID}) {
		t.Errorf("the dashboard's app_id variable would list %v, want [%s]", apps, run.appID)
	}
	t.Logf("the dashboard's %d queries give the simulator's values on Prometheus", queries)
}

type dashPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

// ---- Prometheus ----

// prometheusBinary finds the prometheus binary, or skips the test when promSkipEnv=1.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv(promSkipEnv) == "1" {
		t.Skipf("%s=1: not testing against Prometheus", promSkipEnv)
	}
	if path, err := exec.LookPath("prometheus"); err == nil {
		return path
	}
	if info, err := os.Stat("/usr/bin/prometheus"); err == nil && info.Mode()&0o111 != 0 {
		return "/usr/bin/prometheus"
	}
	t.Fatalf("prometheus is not installed: run scripts/ensure-prometheus.sh (make test does), "+
		"or set %s=1 to skip this test", promSkipEnv)
	return ""
}

// promServer is a Prometheus process on loopback with its data in a temporary folder.
type promServer struct {
	t    *testing.T
	url  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// startPrometheus starts Prometheus on a free loopback port with the remote-write receiver on
// and no scrape configs, and waits until it is ready. It is stopped (SIGTERM, then SIGKILL after
// 30 s) at the end of the test, whatever the outcome; its log is shown if the test failed.
func startPrometheus(t *testing.T, bin string) *promServer {
	t.Helper()
	dir := t.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	// No scrape_configs: the database holds only what arrives by remote write, and its counters
	// count only that.
	if err := os.WriteFile(configPath, []byte("global:\n  scrape_interval: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The free port is found by listening on :0 and closing; another process may grab it in
	// between, so a start that fails on the address is retried on another port.
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddr(t)
		p := &promServer{t: t, url: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin,
			"--config.file="+configPath,
			"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address="+addr,
			"--web.enable-remote-write-receiver",
		)
		p.cmd.Stdout = p.out
		p.cmd.Stderr = p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.done)
		}()
		t.Cleanup(p.stop)
		if p.waitReady(time.Minute) {
			t.Logf("Prometheus (%s) listening on %s", bin, addr)
			return p
		}
		if attempt < 3 && strings.Contains(p.out.String(), "address already in use") {
			continue
		}
		t.Fatalf("Prometheus did not become ready on %s:\n%s", addr, p.out.String())
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func (p *promServer) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /-/ready until it answers 200; false if the process exits or time runs out.
func (p *promServer) waitReady(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) && !p.exited() {
		resp, err := client.Get(p.url + "/-/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func (p *promServer) stop() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.t.Errorf("Prometheus did not stop within 30s of SIGTERM; killed")
		}
	}
	if p.t.Failed() {
		p.t.Logf("output of Prometheus:\n%s", p.out.String())
	}
}

// get fetches path (with query) from Prometheus' HTTP API and decodes the data of a successful
// answer into data; any failure fails the test.
func (p *promServer) get(path string, query url.Values, data any) {
	p.t.Helper()
	u := p.url + path
	if query != nil {
		u += "?" + query.Encode()
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		p.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("GET %s: %v", u, err)
	}
	var answer struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Status != "success" {
		p.t.Fatalf("GET %s: HTTP %d, %v: %s", u, resp.StatusCode, err, body)
	}
	if err := json.Unmarshal(answer.Data, data); err != nil {
		p.t.Fatalf("GET %s: decoding %s: %v", u, answer.Data, err)
	}
}

// rawSamples returns every series of metric name with its raw samples over the last span: the
// range-vector selector name[span] evaluated as an instant query returns the samples as stored,
// each at its own timestamp.
func (p *promServer) rawSamples(name string, span time.Duration) []promSeries {
	p.t.Helper()
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string    `json:"metric"`
			Values [][2]json.RawMessage `json:"values"`
		} `json:"result"`
	}
	p.get("/api/v1/query", url.Values{
		"query": {fmt.Sprintf("%s[%ds]", name, int(span.Seconds()))},
		"time":  {strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)},
	}, &data)
	if data.ResultType != "matrix" {
		p.t.Fatalf("query %s[...]: result type %q, want matrix", name, data.ResultType)
	}
	var out []promSeries
	for _, r := range data.Result {
		s := promSeries{labels: r.Metric}
		for _, pair := range r.Values {
			ts, err := parsePromTimestamp(string(pair[0]))
			if err != nil {
				p.t.Fatalf("%s: timestamp %s: %v", name, pair[0], err)
			}
			var text string
			if err := json.Unmarshal(pair[1], &text); err != nil {
				p.t.Fatalf("%s: value %s: %v", name, pair[1], err)
			}
			v, err := strconv.ParseFloat(text, 64)
			if err != nil {
				p.t.Fatalf("%s: value %q: %v", name, text, err)
			}
			s.samples = append(s.samples, promSample{tsMs: ts, value: v})
		}
		out = append(out, s)
	}
	return out
}

// parsePromTimestamp reads the API's timestamp, seconds as a JSON number with up to three
// decimals, into milliseconds exactly (no float rounding).
func parsePromTimestamp(text string) (int64, error) {
	whole, frac, _ := strings.Cut(text, ".")
	if len(frac) > 3 {
		return 0, fmt.Errorf("more than millisecond precision")
	}
	frac += strings.Repeat("0", 3-len(frac))
	s, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	ms, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return s*1000 + ms, nil
}

// metricNames returns every metric name Prometheus holds, sorted.
func (p *promServer) metricNames() []string {
	p.t.Helper()
	var names []string
	p.get("/api/v1/label/__name__/values", nil, &names)
	slices.Sort(names)
	return names
}

// counters reads Prometheus' own /metrics (text format) into name{labels} -> value.
func (p *promServer) counters() map[string]float64 {
	p.t.Helper()
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		p.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("GET /metrics: %v", err)
	}
	out := map[string]float64{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// ---- the tap between the collector and Prometheus ----

// wireSample is one sample of a remote-write request.
type wireSample struct {
	labels map[string]string
	tsMs   int64
	value  float64
}

// rwTap forwards remote-write requests to Prometheus unchanged and records, from each, its
// samples and Prometheus' answer.
type rwTap struct {
	t      *testing.T
	target string
	srv    *httptest.Server
	client *http.Client

	mu       sync.Mutex
	accepted []wireSample // samples of the requests Prometheus answered 2xx
	nAccept  int
	refusals []string // the other answers, described
	last     time.Time
}

func newRWTap(t *testing.T, target string) *rwTap {
	tap := &rwTap{t: t, target: target, client: &http.Client{Timeout: 30 * time.Second}}
	tap.srv = httptest.NewServer(http.HandlerFunc(tap.serve))
	t.Cleanup(tap.srv.Close)
	return tap
}

func (tap *rwTap) url() string { return tap.srv.URL }

func (tap *rwTap) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	samples, decodeErr := decodeWriteRequest(raw)

	fwd, err := http.NewRequestWithContext(r.Context(), r.Method, tap.target, bytes.NewReader(raw))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range []string{"Content-Type", "Content-Encoding", "User-Agent", "X-Prometheus-Remote-Write-Version"} {
		if v := r.Header.Get(h); v != "" {
			fwd.Header.Set(h, v)
		}
	}
	resp, err := tap.client.Do(fwd)
	if err != nil {
		tap.mu.Lock()
		tap.refusals = append(tap.refusals, fmt.Sprintf("forwarding failed: %v", err))
		tap.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	tap.mu.Lock()
	tap.last = time.Now()
	switch {
	case resp.StatusCode/100 != 2:
		tap.refusals = append(tap.refusals, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body))))
	case decodeErr != nil:
		tap.refusals = append(tap.refusals, fmt.Sprintf("Prometheus accepted a request the tap could not decode: %v", decodeErr))
		tap.nAccept++
	default:
		tap.accepted = append(tap.accepted, samples...)
		tap.nAccept++
	}
	tap.mu.Unlock()

	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func (tap *rwTap) acceptedSamples() []wireSample {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return slices.Clone(tap.accepted)
}

func (tap *rwTap) lastRequest() time.Time {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return tap.last
}

func (tap *rwTap) acceptedCount() int {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return tap.nAccept
}

func (tap *rwTap) requestCount() int {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return tap.nAccept + len(tap.refusals)
}

func (tap *rwTap) refused() int {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return len(tap.refusals)
}

func (tap *rwTap) refusedAnswers() []string {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return slices.Clone(tap.refusals)
}

// covers reports whether every expected point went out in an accepted request.
func (tap *rwTap) covers(expected map[string]map[int64]int64) bool {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	seen := map[string]map[int64]bool{}
	for _, s := range tap.accepted {
		name := s.labels["__name__"]
		if seen[name] == nil {
			seen[name] = map[int64]bool{}
		}
		seen[name][s.tsMs] = true
	}
	for name, points := range expected {
		for ts := range points {
			if !seen[name][ts] {
				return false
			}
		}
	}
	return true
}

// decodeWriteRequest decodes a Prometheus remote-write 1.0 request body: a snappy block holding
// a prometheus.WriteRequest protobuf (timeseries = 1; in a TimeSeries labels = 1, samples = 2;
// in a Label name = 1, value = 2; in a Sample value = 1 (double), timestamp = 2 (int64)).
func decodeWriteRequest(raw []byte) ([]wireSample, error) {
	b, err := snappy.Decode(nil, raw)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	var out []wireSample
	err = protoFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return nil // metadata and anything else
		}
		labels := map[string]string{}
		var samples []wireSample
		err := protoFields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			switch {
			case num == 1 && typ == protowire.BytesType:
				var name, value string
				err := protoFields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
					if typ == protowire.BytesType && num == 1 {
						name = string(v)
					} else if typ == protowire.BytesType && num == 2 {
						value = string(v)
					}
					return nil
				})
				labels[name] = value
				return err
			case num == 2 && typ == protowire.BytesType:
				var s wireSample
				err := protoFields(v, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
					if num == 1 && typ == protowire.Fixed64Type {
						s.value = math.Float64frombits(n)
					} else if num == 2 && typ == protowire.VarintType {
						s.tsMs = int64(n)
					}
					return nil
				})
				samples = append(samples, s)
				return err
			}
			return nil
		})
		for _, s := range samples {
			s.labels = labels
			out = append(out, s)
		}
		return err
	})
	return out, err
}

// protoFields calls f for each field of a protobuf message: v for length-delimited fields, n
// for varint and fixed-size ones.
func protoFields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, k := protowire.ConsumeTag(b)
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.BytesType:
			v, k = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			n, k = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			n, k = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var n32 uint32
			n32, k = protowire.ConsumeFixed32(b)
			n = uint64(n32)
		default:
			k = protowire.ConsumeFieldValue(num, typ, b)
		}
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		if err := f(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

// ---- the simulator, and what it served ----

// servedSim wraps the simulator, recording what it served, until frozen.
type servedSim struct {
	h http.Handler

	mu       sync.Mutex
	frozen   bool
	inflight int
	answers  int
	points   map[string]map[int64]int64 // Prometheus name -> timestamp -> value
	problems []string
}

// startServedSim serves the simulator with the test settings, ZEGO's quirky answers (shuffled
// and repeated points, values as 1000.0) and points at promPhaseMs past the second.
func startServedSim(t *testing.T) (*servedSim, string) {
	t.Helper()
	sim := zegosim.New(zegosim.Config{
		Apps:        map[uint32]string{testAppID: testSecret},
		Seed:        testSeed,
		Delay:       simDelay,
		Granularity: granularity,
		PhaseMs:     promPhaseMs,
		PerMinute:   testPerMinute,
		PerDay:      testPerDay,
		Quirks:      true,
	})
	s := &servedSim{h: sim, points: map[string]map[int64]int64{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, p := range s.problems {
			t.Errorf("simulator wrapper: %s", p)
		}
	})
	return s, srv.URL
}

// ServeHTTP answers from the simulator and records the points of a successful answer that lie
// inside the window the receiver keeps: it asks StartTs = after, EndTs = until+1 and keeps
// (after, until], so a point exactly on either edge belongs to the neighbouring window. Once
// frozen it answers 503 without asking the simulator, so nothing more is served.
func (s *servedSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.frozen {
		s.mu.Unlock()
		http.Error(w, "frozen by the test", http.StatusServiceUnavailable)
		return
	}
	s.inflight++
	s.mu.Unlock()

	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	problem := s.record(r, rec.Body.Bytes())

	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())

	s.mu.Lock()
	s.inflight--
	if problem != nil {
		s.problems = append(s.problems, problem.Error())
	}
	s.mu.Unlock()
}

func (s *servedSim) record(r *http.Request, body []byte) error {
	var answer struct {
		Code int
		Data *struct {
			Metrics []struct {
				Metric string
				Values []struct {
					Timestamp int64
					Value     json.Number
				}
			}
		}
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("undecodable answer %q: %v", body, err)
	}
	if answer.Code != 0 || answer.Data == nil {
		return nil
	}
	q := r.URL.Query()
	startTs, err1 := strconv.ParseInt(q.Get("StartTs"), 10, 64)
	endTs, err2 := strconv.ParseInt(q.Get("EndTs"), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("a successful answer to a call without StartTs/EndTs: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers++
	for _, m := range answer.Data.Metrics {
		name := ""
		for otel, api := range metricNames {
			if api == m.Metric {
				name = strings.ReplaceAll(otel, ".", "_")
			}
		}
		if name == "" {
			return fmt.Errorf("served an unknown metric %q", m.Metric)
		}
		if s.points[name] == nil {
			s.points[name] = map[int64]int64{}
		}
		for _, v := range m.Values {
			if v.Timestamp <= startTs || v.Timestamp >= endTs {
				continue
			}
			f, err := strconv.ParseFloat(v.Value.String(), 64)
			if err != nil {
				return fmt.Errorf("served a value %q: %v", v.Value, err)
			}
			s.points[name][v.Timestamp] = int64(f)
		}
	}
	return nil
}

func (s *servedSim) freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = true
}

// idle reports whether the simulator is frozen with no call in progress: what it served is final.
func (s *servedSim) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozen && s.inflight == 0
}

func (s *servedSim) answered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers
}

func (s *servedSim) expected() map[string]map[int64]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[int64]int64{}
	for name, points := range s.points {
		out[name] = maps.Clone(points)
	}
	return out
}

// ---- the collector's configuration ----

type promCollectorConfig struct {
	Endpoint string
	AppID    uint32
	Secret   string
	Interval time.Duration
	Delay    time.Duration // the simulator's publication delay, and the receiver's data_delay
	WriteURL string
}

// The exporter is set up as in examples/zego-to-prometheus-remote-write.yaml (the app id as a
// constant label from the resource attribute), with a short timeout and prompt retries.
var promConfigTemplate = template.Must(template.New("config").Parse(`receivers:
  zego:
    endpoint: {{.Endpoint}}
    app_id: {{.AppID}}
    server_secret: {{printf "%q" .Secret}}
    collection_interval: {{.Interval}}
    initial_delay: 500ms
    timeout: 5s
    data_delay: {{.Delay}}
    initial_lookback: 10s
    quota:
      per_minute: 60
      per_day: 100000
exporters:
  prometheus_remote_write:
    http:
      endpoint: {{.WriteURL}}
    timeout: 5s
    resource_constant_labels:
      included: [zego.app_id]
    remote_write_queue:
      enabled: true
      queue_size: 100
    retry_on_failure:
      enabled: true
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 30s
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [zego]
      exporters: [prometheus_remote_write]
`))

func writePromCollectorConfig(t *testing.T, cfg promCollectorConfig) string {
	t.Helper()
	return renderConfig(t, promConfigTemplate, cfg)
}

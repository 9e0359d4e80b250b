// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
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

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// The settings every test starts from: a poll every 2 s of data 2 s old, within a quota that
// allows it (the receiver's check wants every poll to fit the quota ledger: see skipFreeInterval).
const (
	testAppID  = uint32(1234567)
	testSecret = "e2e-secret-only-the-simulator-knows" //nolint:gosec // G101: the simulator's made-up secret
	step       = 2 * time.Second                       // collection_interval, data_delay and the simulator's delay
	phaseMs    = 767                                   // points sit 767 ms past the second, as in ZEGO's example
	secretEnv  = "ZEGO_E2E_SECRET"                     //nolint:gosec // G101: the name of a variable, not a secret
)

// startSim serves an in-process simulator of the ZEGO API on loopback.
func startSim(t *testing.T, edit func(*zegosim.Config)) (*zegosim.Server, string) {
	t.Helper()
	cfg := zegosim.Config{
		Apps: map[uint32]string{testAppID: testSecret}, Seed: 20240601,
		Delay: step, PhaseMs: phaseMs, PerMinute: 60, PerDay: 100_000,
	}
	if edit != nil {
		edit(&cfg)
	}
	sim := zegosim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// config is what the tests vary in the one collector configuration template.
type config struct {
	Endpoint   string   // the simulator
	AppIDs     []uint32 // one receiver each, zego/0, zego/1, ...; an App ID 0 leaves app_id out
	Interval   time.Duration
	Lookback   time.Duration
	LateWindow time.Duration   // late_window, when set
	NoQuota    bool            // leave quota out (ZEGO's defaults, 3 a minute and 480 a day)
	Metrics    map[string]bool // metrics::<name>::enabled
	StorageDir string          // file_storage, when set
	Exporter   string          // otlp_http, prometheus_remote_write or debug
	ExportURL  string
	Telemetry  int // the port of the collector's own metrics (a Prometheus pull reader), 0 for none
}

// defaults is the usual configuration against the simulator at endpoint.
func defaults(endpoint, exporter, exportURL string) config {
	return config{
		Endpoint: endpoint, AppIDs: []uint32{testAppID}, Interval: step, Lookback: 10 * time.Second,
		Exporter: exporter, ExportURL: exportURL,
	}
}

var configTemplate = template.Must(template.New("config").Parse(`receivers:
{{- range $i, $id := .AppIDs}}
  zego/{{$i}}:
    endpoint: {{$.Endpoint}}
{{- if $id}}
    app_id: {{$id}}
{{- end}}
    server_secret: ${env:` + secretEnv + `}
    collection_interval: {{$.Interval}}
    initial_delay: 500ms
    timeout: 10s
    data_delay: ` + step.String() + `
    initial_lookback: {{$.Lookback}}
{{- if $.LateWindow}}
    late_window: {{$.LateWindow}}
{{- end}}
{{- if not $.NoQuota}}
    quota: {per_minute: 60, per_day: 100000}
{{- end}}
{{- if $.StorageDir}}
    storage: file_storage
{{- end}}
{{- if $.Metrics}}
    metrics:
{{- range $name, $on := $.Metrics}}
      {{$name}}: {enabled: {{$on}}}
{{- end}}
{{- end}}
{{- end}}
{{- if .StorageDir}}
extensions:
  file_storage:
    directory: {{.StorageDir}}
{{- end}}
exporters:
{{- if eq .Exporter "otlp_http"}}
  otlp_http:
    endpoint: {{.ExportURL}}
{{- else if eq .Exporter "prometheus_remote_write"}}
  prometheus_remote_write:
    http:
      endpoint: {{.ExportURL}}
    resource_constant_labels: {included: [zego.app_id]}
    remote_write_queue: {num_consumers: 1} # one series' samples in order, even across requests
{{- else}}
  debug: {verbosity: basic}
{{- end}}
service:
{{- if .StorageDir}}
  extensions: [file_storage]
{{- end}}
  telemetry:
    logs:
      sampling: {enabled: false}
    metrics:
{{- if .Telemetry}}
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: {{.Telemetry}}
                without_type_suffix: true
                without_units: true
                without_scope_info: true
{{- else}}
      level: none
{{- end}}
  pipelines:
    metrics:
      receivers: [{{range $i, $_ := .AppIDs}}{{if $i}}, {{end}}zego/{{$i}}{{end}}]
      exporters: [{{.Exporter}}]
`))

// writeConfig renders c into a file and returns its path.
func writeConfig(t *testing.T, c config) string {
	t.Helper()
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, c); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer collects a process's output for the test to read while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// process is a running program: the collector, or Prometheus.
type process struct {
	name string
	cmd  *exec.Cmd
	out  syncBuffer // stdout and stderr
	done chan struct{}
	err  error // the exit status, once done is closed
}

// start runs bin with args and env added to this process's environment (less GOGC and GOMEMLIMIT:
// the collector runs with Go's defaults). At the end of the test it is stopped if still running,
// and its output is logged if the test failed.
func start(t *testing.T, name, bin string, args []string, env ...string) *process {
	t.Helper()
	p := &process{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...) //nolint:gosec // G204: the distribution or the simulator this test suite built
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=")
	})
	p.cmd.Env = append(p.cmd.Env, env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.name, p.out.String())
		}
	})
	return p
}

// startCollector runs bin/otelcol-zego with env and the config files (or yaml: overlays) given.
func startCollector(t *testing.T, name string, env []string, configs ...string) *process {
	t.Helper()
	var args []string
	for _, c := range configs {
		args = append(args, "--config", c)
	}
	return start(t, name, collectorBin, args, append(env, secretEnv+"="+testSecret)...)
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the exit (killing the process after 30 s); it fails the test
// on an unclean exit. It does nothing if the process has exited already.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 30 s of SIGTERM", p.name)
	}
	if p.err != nil {
		t.Errorf("%s exited uncleanly after SIGTERM: %v", p.name, p.err)
	}
}

// waitFor polls cond every 50 ms until it holds and reports whether it did within timeout. A
// process given that exits meanwhile fails the test: nothing it was to do will happen.
func waitFor(t *testing.T, p *process, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(50 * time.Millisecond) {
		if p != nil && p.exited() {
			t.Fatalf("%s exited (%v)", p.name, p.err)
		}
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// mustWait is waitFor that fails the test at the deadline.
func mustWait(t *testing.T, p *process, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitFor(t, p, timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// successes are the calls of action the simulator answered with data, in arrival order.
func successes(sim *zegosim.Server, action string) []zegosim.Call {
	var ok []zegosim.Call
	for _, c := range sim.Calls() {
		if c.Action == action && c.Code == zegosim.CodeSuccess {
			ok = append(ok, c)
		}
	}
	return ok
}

// freeze makes the simulator fail every further call (HTTP 200, code 500), so that the windows
// answered so far are all there will be.
func freeze(sim *zegosim.Server) {
	sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultCode, Code: zegosim.CodeInternal})
}

// key is one point of one metric, by the metric's name in the receiver and ZEGO's timestamp.
type key struct {
	metric string
	tsMs   int64
}

// expected is every point of every metric of the simulator's successful calls for testAppID, with
// its value, from the first window's start to the last window's end. The receiver asks for
// [after, until+1] and keeps (after, until]; with every answer delivered each window starts where
// the last one ended, so this is one contiguous run per interface.
func expected(sim *zegosim.Server) map[key]float64 {
	want := map[key]float64{}
	for _, action := range []string{zegosim.ActionUsage, zegosim.ActionQuality} {
		calls := successes(sim, action)
		if len(calls) == 0 {
			continue
		}
		first, last := calls[0], calls[len(calls)-1]
		for _, ts := range sim.PointTimes(action, first.StartMs, last.EndMs-1) {
			for _, m := range first.Metrics {
				want[key{"zego.realtime." + m, ts}] = sim.Value(testAppID, m, ts)
			}
		}
	}
	return want
}

// point is one data point as the sink received it.
type point struct {
	key
	tsNs    uint64
	value   float64
	appID   string    // the resource attribute zego.app_id
	arrived time.Time // when the sink got it, for freshness
}

// sink is an OTLP/HTTP endpoint that records every data point and every request's path and
// headers; it accepts everything.
type sink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	points   []point
	requests []*http.Request // without their bodies
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.record(r); err != nil {
			t.Errorf("sink: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body, _ := pmetricotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) record(r *http.Request) error {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return err
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		return fmt.Errorf("not an OTLP protobuf export request: %w", err)
	}
	arrived := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Clone(r.Context()))
	for _, rm := range req.Metrics().ResourceMetrics().All() {
		appID, _ := rm.Resource().Attributes().Get("zego.app_id")
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Type() != pmetric.MetricTypeGauge {
					return fmt.Errorf("%s is a %s, not a gauge", m.Name(), m.Type())
				}
				for _, dp := range m.Gauge().DataPoints().All() {
					v := dp.DoubleValue()
					if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
						v = float64(dp.IntValue())
					}
					ts := uint64(dp.Timestamp())
					s.points = append(s.points, point{key{m.Name(), int64(ts / 1e6)}, ts, v, appID.AsString(), arrived})
				}
			}
		}
	}
	return nil
}

func (s *sink) received() ([]point, []*http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.points), slices.Clone(s.requests)
}

// settle freezes the simulator, waits until the sink holds every point answered so far, and
// returns them. Giving up is left to checkDelivery, which says what is missing.
func settle(t *testing.T, sim *zegosim.Server, s *sink, col *process) map[key]float64 {
	t.Helper()
	freeze(sim)
	waitFor(t, col, 30*time.Second, func() bool {
		got, _ := s.received()
		seen := map[key]bool{}
		for _, p := range got {
			seen[p.key] = true
		}
		return !slices.ContainsFunc(slices.Collect(maps.Keys(expected(sim))), func(k key) bool { return !seen[k] })
	})
	return expected(sim)
}

// checkDelivery checks that got is want exactly: every point once, at ZEGO's timestamp to the
// nanosecond, with the simulator's value and the zego.app_id resource attribute.
func checkDelivery(t *testing.T, want map[key]float64, got []point) {
	t.Helper()
	var problems []string
	seen := map[key]int{}
	for _, p := range got {
		seen[p.key]++
		v, ok := want[p.key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s at %d: not a point of an answered window", p.metric, p.tsNs))
		case p.tsNs != uint64(p.tsMs)*1e6:
			problems = append(problems, fmt.Sprintf("%s at %d ns: not ZEGO's millisecond", p.metric, p.tsNs))
		case p.value != v:
			problems = append(problems, fmt.Sprintf("%s at %d: value %v, the simulator served %v", p.metric, p.tsMs, p.value, v))
		case p.appID != strconv.FormatUint(uint64(testAppID), 10):
			problems = append(problems, fmt.Sprintf("%s at %d: zego.app_id %q", p.metric, p.tsMs, p.appID))
		}
	}
	for k := range want {
		if n := seen[k]; n != 1 {
			problems = append(problems, fmt.Sprintf("%s at %d: delivered %d times, want once", k.metric, k.tsMs, n))
		}
	}
	slices.Sort(problems)
	for i, p := range problems {
		if i == 10 {
			t.Errorf("... and %d more problems", len(problems)-i)
			break
		}
		t.Error(p)
	}
}

// freePort is a TCP port free on loopback a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

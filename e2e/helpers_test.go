//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// Settings shared by the tests: short enough for a quick suite, and consistent with each other
// (the receiver's validation wants collection_interval >= 60s/per_minute and >= 86400s/per_day;
// its ledger widens the minute by the request timeout, so per_minute leaves room for that).
const (
	testAppID     = uint32(1234567)
	testSecret    = "e2e0secret0d41d8cd98f00b204e9800" // the simulator's secret for testAppID
	testSeed      = int64(20240601)
	simDelay      = 2 * time.Second
	granularity   = time.Second
	testInterval  = 2 * time.Second
	testPerMinute = 60
	testPerDay    = 100_000
)

// metricNames maps each metric the receiver emits to its name in ZEGO's API.
var metricNames = map[string]string{
	"zego.realtime.publish_concurrent": zegosim.MetricPublishConcurrent,
	"zego.realtime.play_concurrent":    zegosim.MetricPlayConcurrent,
	"zego.realtime.room_concurrent":    zegosim.MetricRoomConcurrent,
	"zego.realtime.online_user":        zegosim.MetricOnlineUser,
	"zego.realtime.max_room_user":      zegosim.MetricMaxRoomUser,
	"zego.realtime.mix_concurrent":     zegosim.MetricMixConcurrent,
}

// simConfig is the simulator's test settings, adjusted by edit (which may be nil).
func simConfig(edit func(*zegosim.Config)) zegosim.Config {
	cfg := zegosim.Config{
		Apps:        map[uint32]string{testAppID: testSecret},
		Seed:        testSeed,
		Delay:       simDelay,
		Granularity: granularity,
		PerMinute:   testPerMinute,
		PerDay:      testPerDay,
	}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

// startSim serves a simulator on 127.0.0.1 with the test settings, adjusted by edit.
func startSim(t *testing.T, edit func(*zegosim.Config)) (*zegosim.Server, string) {
	t.Helper()
	sim := zegosim.New(simConfig(edit))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// collectorConfig is what varies between the tests' collector configurations.
type collectorConfig struct {
	Endpoint        string // the simulator's URL
	AppID           uint32
	Secret          string
	Interval        time.Duration
	DataDelay       time.Duration
	InitialLookback time.Duration
	PerMinute       int
	PerDay          int
	StorageDir      string // "" for no file_storage
	SinkURL         string
	NoQueue         bool // otlp_http without sending queue and retries
	TLSCAFile       string
	TLSInsecure     bool          // tls::insecure_skip_verify
	Timeout         time.Duration // the receiver's timeout
	JSONLogs        bool          // service::telemetry::logs::encoding: json
	LogLevel        string        // service::telemetry::logs::level; "" means info
}

// defaultConfig is the test settings against sim and sink.
func defaultConfig(simURL, sinkURL string) collectorConfig {
	return collectorConfig{
		Endpoint:        simURL,
		AppID:           testAppID,
		Secret:          testSecret,
		Interval:        testInterval,
		DataDelay:       simDelay,
		InitialLookback: 10 * time.Second,
		PerMinute:       testPerMinute,
		PerDay:          testPerDay,
		SinkURL:         sinkURL,
		Timeout:         5 * time.Second,
	}
}

var configTemplate = template.Must(template.New("config").Parse(`receivers:
  zego:
    endpoint: {{.Endpoint}}
    app_id: {{.AppID}}
    server_secret: {{printf "%q" .Secret}}
    collection_interval: {{.Interval}}
    initial_delay: 500ms
    timeout: {{.Timeout}}
    data_delay: {{.DataDelay}}
    initial_lookback: {{.InitialLookback}}
    quota:
      per_minute: {{.PerMinute}}
      per_day: {{.PerDay}}
{{- if or .TLSCAFile .TLSInsecure}}
    tls:
{{- if .TLSCAFile}}
      ca_file: {{printf "%q" .TLSCAFile}}
{{- end}}
{{- if .TLSInsecure}}
      insecure_skip_verify: true
{{- end}}
{{- end}}
{{- if .StorageDir}}
    storage: file_storage
extensions:
  file_storage:
    directory: {{printf "%q" .StorageDir}}
{{- end}}
exporters:
  otlp_http:
    endpoint: {{.SinkURL}}
{{- if .NoQueue}}
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
{{- end}}
service:
{{- if .StorageDir}}
  extensions: [file_storage]
{{- end}}
  telemetry:
{{- if or .JSONLogs .LogLevel}}
    logs:
{{- if .JSONLogs}}
      encoding: json
{{- end}}
{{- if .LogLevel}}
      level: {{.LogLevel}}
{{- end}}
{{- end}}
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [zego]
      exporters: [otlp_http]
`))

// writeConfig renders cfg into a file in a fresh temporary directory and returns its path.
func writeConfig(t *testing.T, cfg collectorConfig) string {
	t.Helper()
	return renderConfig(t, configTemplate, cfg)
}

// renderConfig renders a collector config template into a file in a fresh temporary
// directory and returns its path.
func renderConfig(t *testing.T, tmpl *template.Template, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "config.yaml", b.String())
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is a bytes.Buffer safe for the process's writers and the test's readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// collector is a running otelcol-zego process.
type collector struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed once the process has exited
	err  error         // its exit status, valid after done
}

// startCollector starts otelcol-zego with a config file; stdout and stderr go to a buffer,
// which is logged if the test fails. The process is killed at the end of the test if still up.
func startCollector(t *testing.T, name, configPath string, extraEnv ...string) *collector {
	t.Helper()
	c := &collector{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(collectorBin, "--config", configPath)
	c.cmd.Stdout = c.out
	c.cmd.Stderr = c.out
	c.cmd.Env = append(os.Environ(), extraEnv...)
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", collectorBin, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if !c.exited() {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("output of collector %q:\n%s", c.name, c.out.String())
		}
	})
	return c
}

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *collector) output() string { return c.out.String() }

// stop sends SIGTERM and waits for the process to exit; it fails the test unless the exit is clean.
func (c *collector) stop() {
	c.t.Helper()
	if c.exited() {
		c.t.Fatalf("collector %q had already exited: %v", c.name, c.err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatalf("SIGTERM to collector %q: %v", c.name, err)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		c.t.Fatalf("collector %q did not stop within 30s of SIGTERM", c.name)
	}
	if c.err != nil {
		c.t.Fatalf("collector %q exited uncleanly after SIGTERM: %v", c.name, c.err)
	}
}

// waitFor polls cond until it holds, failing the test at the deadline or if the collector
// exits in the meantime. It synchronises with the collector process, which runs on its own.
func (c *collector) waitFor(timeout time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if c.exited() {
			c.t.Fatalf("collector %q exited (%v) while waiting for %s", c.name, c.err, what)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keepsRunning watches the collector for d and fails the test if it exits meanwhile.
func (c *collector) keepsRunning(d time.Duration) {
	c.t.Helper()
	select {
	case <-c.done:
		c.t.Fatalf("collector %q exited (%v); it should keep running", c.name, c.err)
	case <-time.After(d):
	}
}

// runCollectorCommand runs otelcol-zego with args to completion (bounded by a minute) and returns
// its combined output and exit error.
func runCollectorCommand(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, collectorBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("otelcol-zego %s did not finish within a minute:\n%s", strings.Join(args, " "), out)
	}
	return string(out), err
}

// coverage sums up a verified set of points.
type coverage struct {
	firstMs, lastMs int64 // the same for every metric
	perMetric       int   // points per metric
}

// verifyPoints checks points received for testAppID with seed: every metric present; each
// point exactly once per metric; no gap between a metric's first and last point at the
// simulator's spacing; the six metrics cover the same range; values as the simulator
// computes them; the zego.app_id resource attribute; no start timestamp; integer values.
func verifyPoints(t *testing.T, points []point, seed int64, appID uint32) coverage {
	t.Helper()
	const maxReports = 10
	reports := 0
	report := func(format string, args ...any) {
		t.Helper()
		if reports < maxReports {
			t.Errorf(format, args...)
		} else if reports == maxReports {
			t.Errorf("... more problems left out")
		}
		reports++
	}

	byMetric := map[string]map[int64]int{}
	for _, p := range points {
		api, ok := metricNames[p.metric]
		if !ok {
			report("unexpected metric %q", p.metric)
			continue
		}
		if p.appID != fmt.Sprint(appID) {
			report("%s at %d: resource attribute zego.app_id = %q, want %q", p.metric, p.tsMs, p.appID, fmt.Sprint(appID))
		}
		if p.startNs != 0 {
			report("%s at %d: start timestamp %d, want none", p.metric, p.tsMs, p.startNs)
		}
		if !p.isInt {
			report("%s at %d: value is not an integer point", p.metric, p.tsMs)
		}
		if want := zegosim.Value(seed, appID, api, p.tsMs); p.value != want {
			report("%s at %d: value %d, the simulator served %d", p.metric, p.tsMs, p.value, want)
		}
		if byMetric[p.metric] == nil {
			byMetric[p.metric] = map[int64]int{}
		}
		byMetric[p.metric][p.tsMs]++
	}

	var cov coverage
	step := granularity.Milliseconds()
	first := true
	for name := range metricNames {
		seen := byMetric[name]
		if len(seen) == 0 {
			report("no point of %s", name)
			continue
		}
		lo, hi := int64(-1), int64(-1)
		for ts, n := range seen {
			if n > 1 {
				report("%s at %d: delivered %d times", name, ts, n)
			}
			if lo < 0 || ts < lo {
				lo = ts
			}
			if ts > hi {
				hi = ts
			}
		}
		var missing []int64
		for ts := lo; ts <= hi; ts += step {
			if seen[ts] == 0 {
				missing = append(missing, ts)
			}
		}
		if len(missing) > 0 {
			report("%s: %d points missing between %d and %d, first at %d (%s)", name, len(missing), lo, hi, missing[0], time.UnixMilli(missing[0]).UTC().Format(time.RFC3339Nano))
		}
		if (hi-lo)%step != 0 {
			report("%s: first point %d and last %d are not a whole number of steps apart", name, lo, hi)
		}
		if first {
			cov = coverage{firstMs: lo, lastMs: hi, perMetric: len(seen)}
			first = false
		} else if lo != cov.firstMs || hi != cov.lastMs || len(seen) != cov.perMetric {
			report("%s covers %d..%d (%d points); another metric covers %d..%d (%d points)", name, lo, hi, len(seen), cov.firstMs, cov.lastMs, cov.perMetric)
		}
	}
	return cov
}

// requireExitError fails the test unless err is a non-zero exit of the process.
func requireExitError(t *testing.T, err error) *exec.ExitError {
	t.Helper()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("want a non-zero exit, got %v", err)
	}
	return exitErr
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// exampleEnv holds a plausible value for every variable the examples need (those without a
// default); an example that needs another one fails TestExamples until it is added here.
var exampleEnv = map[string]string{ //nolint:gosec // G101: placeholders, no real credential
	"ZEGO_APP_ID":                  "1234567890",
	"ZEGO_SERVER_SECRET":           "example-secret",
	"ZEGOSIM_SECRET_FILE":          "/run/zegosim/server_secret",
	"OTLP_ENDPOINT":                "https://otlp.example.com",
	"PROMETHEUS_REMOTE_WRITE_URL":  "http://prometheus:9090/api/v1/write",
	"DD_API_KEY":                   "example-api-key",
	"POD_NAMESPACE":                "otelcol-zego",
	"REDIS_ENDPOINT":               "redis:6379",
	"REDIS_PASSWORD":               "example-redis-password",
	"ZEGO_LIVE_APP_ID":             "1234567891",
	"ZEGO_LIVE_SERVER_SECRET":      "example-secret-live",
	"ZEGO_CLASSROOM_APP_ID":        "1234567892",
	"ZEGO_CLASSROOM_SERVER_SECRET": "example-secret-classroom",
}

var (
	envRef = regexp.MustCompile(`\$\{env:(\w+)(:-[^}]*)?\}`)
	// secretKey matches the keys whose values are credentials; they must be exactly ${env:NAME}.
	secretKey = regexp.MustCompile(`(?i)^\s*-?\s*"?([\w.-]*(secret|api[-_]?key|token|password|authorization)|key)"?\s*:\s*(.*)$`)
	envOnly   = regexp.MustCompile(`^["']?\$\{env:\w+\}["']?$`)
	hex32     = regexp.MustCompile(`\b[0-9a-fA-F]{32}\b`) // the shape of a ZEGO ServerSecret
)

// TestExamples checks every examples/*.yaml: each passes `otelcol-zego validate` on this build as
// written, and holds no secret, only references to the environment. The configs in the README and
// the guides are TestDocsConfigs'.
func TestExamples(t *testing.T) {
	t.Parallel()
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if len(paths) < 5 {
		t.Fatalf("only %d examples found", len(paths))
	}
	for _, path := range paths {
		raw, err := os.ReadFile(filepath.Clean(path))
		if err != nil {
			t.Fatal(err)
		}
		validateExample(t, path, raw, path)
	}
}

// validateExample checks that raw, the config named name, holds no secret and sets every variable
// it needs from exampleEnv, then runs `otelcol-zego validate` on configs, the files (raw's among
// them) that make it up.
func validateExample(t *testing.T, name string, raw []byte, configs ...string) {
	t.Helper()
	env := []string{"ZEGO_STATE_DIR=" + t.TempDir()}
	for n, line := range strings.Split(string(raw), "\n") {
		if hex32.MatchString(line) {
			t.Errorf("%s:%d: looks like a secret: %s", name, n+1, line)
		}
		if code, _, _ := strings.Cut(line, " #"); !strings.HasPrefix(strings.TrimSpace(code), "#") {
			if m := secretKey.FindStringSubmatch(code); m != nil && !envOnly.MatchString(strings.TrimSpace(m[3])) {
				t.Errorf("%s:%d: %s is not a plain ${env:NAME}: %s", name, n+1, m[1], line)
			}
			for _, ref := range envRef.FindAllStringSubmatch(code, -1) {
				if v, ok := exampleEnv[ref[1]]; ok {
					env = append(env, ref[1]+"="+v)
				} else if ref[2] == "" {
					t.Errorf("%s:%d: needs %s, which exampleEnv does not set", name, n+1, ref[1])
				}
			}
		}
	}
	args := []string{"validate"}
	for _, c := range configs {
		args = append(args, "--config", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, collectorBin, args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: otelcol-zego %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestDatadogExample runs examples/zego-to-datadog.yaml as shipped, with only the receiver's
// timing and endpoint and the exporter's URL overridden (yaml: overlays on the command line), into
// a local stand-in for Datadog's intake: every request goes to /v1/metrics with the API key from
// the environment, every point arrives once at its timestamp, and the key never appears in the
// collector's output at debug level. The collector's own metrics, which the example sends to the
// same intake (delta sums), reach a second stand-in (its URL and interval set in a copy) with the key.
func TestDatadogExample(t *testing.T) {
	t.Parallel()
	const apiKey = "e2e-datadog-api-key-7f3a9c" //nolint:gosec // G101: a made-up key the test checks arrives
	sim, simURL := startSim(t, nil)
	s := newSink(t)
	var telemetry atomic.Int32 // requests with the key that carry the receiver's telemetry
	tel := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if body, _ := io.ReadAll(r.Body); r.URL.Path == "/v1/metrics" && r.Header.Get("dd-api-key") == apiKey && bytes.Contains(body, []byte("otelcol_receiver_zego_api_calls")) {
			telemetry.Add(1)
		}
	}))
	t.Cleanup(tel.Close)
	const intake = "https://otlp.${env:DD_SITE:-datadoghq.com}/v1/metrics"
	example, err := os.ReadFile(filepath.Join("..", "examples", "zego-to-datadog.yaml"))
	if err != nil || strings.Count(string(example), intake) != 2 || !strings.Contains(string(example), "temporality_preference: delta") {
		t.Fatalf("zego-to-datadog.yaml: want the exporter and a telemetry reader with delta temporality on %s (%v)", intake, err)
	}
	configs := []string{filepath.Join(t.TempDir(), "zego-to-datadog.yaml")}
	example = []byte(strings.NewReplacer(intake, tel.URL+"/v1/metrics", "interval: 60000", "interval: 500").Replace(string(example)))
	if err := os.WriteFile(configs[0], example, 0o600); err != nil { //nolint:gosec // G703: a file in the test's own temporary folder
		t.Fatal(err)
	}
	for _, kv := range []string{
		"receivers::zego::endpoint: " + simURL,
		"receivers::zego::collection_interval: " + step.String(),
		"receivers::zego::initial_delay: 500ms",
		"receivers::zego::data_delay: " + step.String(),
		"receivers::zego::initial_lookback: 10s",
		"receivers::zego::quota: {per_minute: 60, per_day: 100000}",
		"exporters::otlp_http/datadog::metrics_endpoint: " + s.srv.URL + "/v1/metrics",
		"service::telemetry::logs::level: debug",
	} {
		configs = append(configs, "yaml:"+kv)
	}
	env := []string{"ZEGO_APP_ID=" + strconv.FormatUint(uint64(testAppID), 10), "ZEGO_SERVER_SECRET=" + testSecret, "DD_API_KEY=" + apiKey, "ZEGO_STATE_DIR=" + t.TempDir()}
	col := startCollector(t, "collector", env, configs...)

	mustWait(t, col, time.Minute, "3 answered polls", func() bool { return len(successes(sim, zegosim.ActionUsage)) >= 3 })
	want := settle(t, sim, s, col)
	col.stop(t)
	got, requests := s.received()
	checkDelivery(t, want, got)

	for _, r := range requests {
		var translator struct {
			ResourceAttributesAsTags bool `json:"resource_attributes_as_tags"`
		}
		if err := json.Unmarshal([]byte(r.Header.Get("dd-otel-metric-config")), &translator); err != nil || !translator.ResourceAttributesAsTags {
			t.Errorf("dd-otel-metric-config %q does not make zego.app_id a tag (%v)", r.Header.Get("dd-otel-metric-config"), err)
		}
		if r.URL.Path != "/v1/metrics" || r.Header.Get("dd-api-key") != apiKey {
			t.Errorf("a request to %s with dd-api-key %q, want /v1/metrics with the key from DD_API_KEY", r.URL.Path, r.Header.Get("dd-api-key"))
			break
		}
	}
	out := col.out.String()
	if !strings.Contains(out, "\tdebug\t") {
		t.Errorf("the collector logged nothing at debug level: the check below proves little")
	}
	if strings.Contains(out, apiKey) {
		t.Errorf("the API key appears in the collector's output")
	}
	if telemetry.Load() == 0 {
		t.Errorf("no request with the key brought the collector's own metrics to /v1/metrics")
	}
	t.Logf("%d points in %d requests; %d telemetry requests", len(got), len(requests), telemetry.Load())
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/tooltest"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// The collector's own metrics the check compares, as the running binary names them.
const (
	emittedMetric = `otelcol_receiver_zego_points_emitted{api="GetRealtimeUsage"}`
	sentMetric    = `otelcol_exporter_sent_metric_points{exporter="prometheus_remote_write"}`
)

// TestPrometheusRemoteWrite runs the collector with prometheus_remote_write into a real
// Prometheus (Debian's, see scripts/ensure-prometheus.sh) and reads back every sample with a
// range query: see checkPromRun for what must hold.
func TestPrometheusRemoteWrite(t *testing.T) {
	t.Parallel()
	bin := tooltest.Path(t, "prometheus", "Debian/Ubuntu: sudo apt-get install prometheus, or sudo bash scripts/ensure-prometheus.sh")
	prom := startPrometheus(t, bin)
	sim, simURL := startSim(t, nil)
	cfg := defaults(simURL, "prometheus_remote_write", prom+"/api/v1/write")
	cfg.Telemetry = freePort(t)
	col := startCollector(t, "collector", nil, writeConfig(t, cfg))
	telemetry := fmt.Sprintf("http://127.0.0.1:%d/metrics", cfg.Telemetry)

	mustWait(t, col, time.Minute, "4 answered polls", func() bool { return len(successes(sim, zegosim.ActionUsage)) >= 4 })
	freeze(sim)
	// Until the exporter has sent what the receiver emitted, and that is all the simulator
	// answered; giving up is left to the check, which says what differs.
	var run promRun
	waitFor(t, col, 30*time.Second, func() bool {
		run = promRun{appID: strconv.FormatUint(uint64(testAppID), 10), expected: map[string]map[int64]float64{}, stored: map[string][]promSeries{}}
		want := expected(sim)
		for k, v := range want {
			name := strings.ReplaceAll(k.metric, ".", "_")
			if run.expected[name] == nil {
				run.expected[name] = map[int64]float64{}
			}
			run.expected[name][k.tsMs] = v
		}
		text := get(t, telemetry)
		run.emitted, run.sent = sample(text, emittedMetric), sample(text, sentMetric)
		return run.sent == run.emitted && run.emitted == float64(len(want))
	})
	at := strconv.FormatInt(time.Now().Unix()+1, 10)
	for name := range run.expected {
		run.stored[name] = rangeQuery(t, prom, name+"[10m]", at)
	}
	for _, p := range checkPromRun(run) {
		t.Error(p)
	}
	t.Logf("Prometheus holds %d samples of each of %d metrics; %s %v, %s %v",
		len(run.expected["zego_realtime_online_user"]), len(run.expected), emittedMetric, run.emitted, sentMetric, run.sent)
}

// startPrometheus runs Prometheus on a free loopback port with a fresh storage, taking remote
// writes and scraping nothing, and returns its URL once it is ready.
func startPrometheus(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, []byte("global: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, "prometheus", bin, []string{
		"--config.file=" + conf, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--web.enable-remote-write-receiver",
	})
	mustWait(t, p, time.Minute, "Prometheus to be ready", func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return "http://" + addr
}

func get(t *testing.T, u string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", u, resp.Status, err, body)
	}
	return string(body)
}

// sample sums, in a Prometheus text exposition, the series of the name and labels of selector
// (name{label="value",...}) that carry at least those labels; 0 when there is none.
func sample(text, selector string) float64 {
	name, labels, _ := strings.Cut(strings.TrimSuffix(selector, "}"), "{")
	var sum float64
	for line := range strings.Lines(text) {
		series, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || !strings.HasPrefix(series, name+"{") {
			continue
		}
		matches := true
		for label := range strings.SplitSeq(labels, ",") {
			matches = matches && strings.Contains(series, label)
		}
		if matches {
			v, _ := strconv.ParseFloat(value, 64)
			sum += v
		}
	}
	return sum
}

// rangeQuery returns the raw samples Prometheus holds for a range selector, at their exact
// millisecond.
func rangeQuery(t *testing.T, prom, query, at string) []promSeries {
	t.Helper()
	body := get(t, prom+"/api/v1/query?"+url.Values{"query": {query}, "time": {at}}.Encode())
	var answer struct {
		Data struct {
			Result []struct {
				Metric map[string]string
				Values [][2]json.Number
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&answer); err != nil {
		t.Fatalf("%s: %v\n%s", query, err, body)
	}
	var out []promSeries
	for _, r := range answer.Data.Result {
		s := promSeries{labels: r.Metric, samples: map[int64][]float64{}}
		for _, v := range r.Values {
			sec, frac, _ := strings.Cut(v[0].String(), ".")
			ms, err := strconv.ParseInt(sec+(frac + "000")[:3], 10, 64)
			if err != nil || len(frac) > 3 {
				t.Fatalf("%s: timestamp %s", query, v[0])
			}
			f, err := strconv.ParseFloat(v[1].String(), 64)
			if err != nil {
				t.Fatalf("%s: value %s", query, v[1])
			}
			s.samples[ms] = append(s.samples[ms], f)
		}
		out = append(out, s)
	}
	return out
}

//go:build e2e

package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// TestWrongSecret runs the collector with a ServerSecret the simulator does not accept: it keeps
// running, says what to fix, stays within the quota, and never prints the secret or a signature.
func TestWrongSecret(t *testing.T) {
	t.Parallel()
	const wrongSecret = "wrong0secret0b1946ac92492d2347c6"
	sim, simURL := startSim(t, nil)
	sink := newSink(t)
	cfg := defaultConfig(simURL, sink.URL())
	cfg.Secret = wrongSecret
	col := startCollector(t, "wrong secret", writeConfig(t, cfg))

	const hint = "check app_id and server_secret"
	col.waitFor(30*time.Second, "a log line saying "+hint, func() bool { return strings.Contains(col.output(), hint) })
	// Several collection intervals more: the collector must neither exit nor hammer the API.
	col.keepsRunning(4 * cfg.Interval)
	st := sim.Stats()[testAppID]
	col.stop()

	out := col.output()
	if st.Calls == 0 || st.Codes[zegoapi.CodeSignatureMismatch] != st.Calls {
		t.Errorf("want every call answered %d (signature wrong), got %d calls, codes %v", zegoapi.CodeSignatureMismatch, st.Calls, st.Codes)
	}
	if st.MaxPerMinute > cfg.PerMinute {
		t.Errorf("the simulator saw %d calls in a minute, the quota is %d", st.MaxPerMinute, cfg.PerMinute)
	}
	if strings.Contains(out, wrongSecret) {
		t.Errorf("the output contains the server_secret")
	}
	if strings.Contains(out, testSecret) {
		t.Errorf("the output contains the simulator's secret")
	}
	if strings.Contains(out, "Signature=") {
		t.Errorf("the output contains a Signature= parameter")
	}
	if n := sink.count(); n != 0 {
		t.Errorf("the sink received %d points without valid credentials", n)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, hint) {
			t.Logf("the collector said: %s", line)
			break
		}
	}
	t.Logf("simulator: %d calls (at most %d in a minute), codes %v", st.Calls, st.MaxPerMinute, st.Codes)
}

// TestBadConfig gives the collector a zego receiver config with three mistakes: the process must
// exit non-zero and name all three, both when run and under `validate`.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "bad.yaml", `receivers:
  zego:
    server_secret: ${env:E2E_BAD_CONFIG_SECRET}
    collection_interval: 5s
    metrics:
      zego.realtime.online_users:
        enabled: true
exporters:
  debug: {}
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [zego]
      exporters: [debug]
`)
	env := []string{"E2E_BAD_CONFIG_SECRET=bad0config0secret0c4ca4238a0b92"}
	wants := []*regexp.Regexp{
		regexp.MustCompile(`app_id is required`),
		regexp.MustCompile(`collection_interval 5s .*quota\.per_minute is 3`),
		regexp.MustCompile(`unknown metric "zego\.realtime\.online_users" \(did you mean "zego\.realtime\.online_user"\?\)`),
	}
	for _, args := range [][]string{{"--config", path}, {"validate", "--config", path}} {
		out, err := runCollectorCommand(t, env, args...)
		cmd := strings.Join(args[:len(args)-1], " ")
		exitErr := requireExitError(t, err)
		t.Logf("otelcol-zego %s exited with %d:\n%s", cmd, exitErr.ExitCode(), out)
		for _, want := range wants {
			if !want.MatchString(out) {
				t.Errorf("otelcol-zego %s: the output does not say %q", cmd, want)
			}
		}
		if strings.Contains(out, "bad0config0secret") {
			t.Errorf("otelcol-zego %s: the output contains the server_secret", cmd)
		}
	}
}

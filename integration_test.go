package zegoreceiver

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

const (
	simSeed   = 7
	simAppID  = uint32(12345)
	simSecret = "9193cc662a4c0ec135ec71fb57194b38"
)

// simHarness is the receiver, its real HTTP client and API client, against
// the simulator, all on one fake clock.
type simHarness struct {
	*harness
	sim   *zegosim.Server
	srv   *httptest.Server
	check *checkingConsumer
	store *memStorage
}

func newSimHarness(t *testing.T, simCfg zegosim.Config, srv func(*zegosim.Server) *httptest.Server, tune func(*Config)) *simHarness {
	t.Helper()
	clock := &fakeClock{now: t0}
	simCfg.Apps = map[uint32]string{simAppID: simSecret}
	simCfg.Seed = simSeed
	simCfg.Now = clock.Now
	sim := zegosim.New(simCfg)
	if srv == nil {
		srv = func(s *zegosim.Server) *httptest.Server { return httptest.NewServer(s) }
	}
	server := srv(sim)
	t.Cleanup(server.Close)

	cfg := testConfig()
	cfg.AppID, cfg.ServerSecret = simAppID, simSecret
	cfg.Endpoint = server.URL
	cfg.StorageID = &storageID
	if tune != nil {
		tune(cfg)
	}
	h := newHarnessWithConsumer(t, cfg, &switchConsumer{})
	check := &checkingConsumer{t: t, seed: simSeed, appID: simAppID, granularity: 1000,
		last: map[string]int64{}, first: map[string]int64{}, count: map[string]int{}}
	h.r.next = check
	h.r.now = clock.Now
	h.clock = clock
	h.r.api = nil // Start builds the real client from the config
	store := newMemStorage()
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	t.Cleanup(func() { _ = h.r.Shutdown(context.Background()) })
	return &simHarness{harness: h, sim: sim, srv: server, check: check, store: store}
}

// Each fault the simulator can inject: the receiver survives several polls
// of it, logs it once, stays within the quota, and once the fault clears the
// data has no gap and no duplicate.
func TestFaultsThenRecovery(t *testing.T) {
	tests := []struct {
		kind    string
		logLine string // what the one loud log line must say
	}{
		{"http500_html", "502"},
		{"truncated", "GetRealtimeUsage failed"},
		{"empty", "GetRealtimeUsage failed"},
		{"malformed", "GetRealtimeUsage failed"},
		{"reset", "GetRealtimeUsage failed"},
		{"rate_limit", "30002"},
		{"code500", "500"},
		{"signature", "check app_id and server_secret"},
		{"clock_skew", "clock"},
		{"oversize", "GetRealtimeUsage failed"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			h := newSimHarness(t, zegosim.Config{Delay: 3 * time.Minute, PerMinute: 3, PerDay: 480}, nil, nil)
			const faultyPolls = 4
			h.sim.InjectFault(zegosim.Fault{Kind: tt.kind, Count: faultyPolls})
			polls := 0
			for h.sim.Stats()[simAppID].Calls < faultyPolls+2 && polls < 100 {
				h.r.poll(context.Background())
				h.clock.Advance(3 * time.Minute)
				polls++
			}
			stats := h.sim.Stats()[simAppID]
			assert.LessOrEqual(t, stats.MaxPerMinute, 3)
			assert.Equal(t, 2, stats.Codes[0], "two good calls after the fault; codes %v", stats.Codes)

			loud := h.logs.Filter(func(e observer.LoggedEntry) bool { return e.Level >= zapcore.WarnLevel })
			require.Equal(t, 1, loud.FilterMessageSnippet("GetRealtimeUsage failed").Len(), "one loud line per fault: %v", loud.All())
			line := loud.FilterMessageSnippet("GetRealtimeUsage failed").All()[0]
			assert.Contains(t, line.Message+" "+fmtFields(line), tt.logLine)

			// Everything from the first window to the last acknowledged one, once each.
			want := zegosim.PointTimes(t0.Add(-6*time.Minute).UnixMilli(), h.r.state.cursorMs, time.Second, 0)
			for _, d := range metricDefs {
				assert.Equal(t, len(want), h.check.count[d.name], d.name)
				assert.Equal(t, want[len(want)-1], h.check.last[d.name], d.name)
			}
			assert.Zero(t, h.check.failures)
		})
	}
}

func fmtFields(e observer.LoggedEntry) string {
	var b strings.Builder
	for k, v := range e.ContextMap() {
		b.WriteString(k + "=")
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", " ")) + " ")
	}
	return b.String()
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

// An answer slower than timeout is abandoned, and the next poll asks again.
func TestSlowAnswerTimesOut(t *testing.T) {
	h := newSimHarness(t, zegosim.Config{Delay: 3 * time.Minute, PerMinute: 3, PerDay: 480}, nil, func(cfg *Config) {
		cfg.Timeout = 50 * time.Millisecond
	})
	h.sim.InjectFault(zegosim.Fault{Kind: "slow", Count: 1, Duration: time.Hour})
	require.Equal(t, pollAPIError, h.r.poll(context.Background()))
	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollDelivered, h.r.poll(context.Background()))
	assert.Equal(t, 6*60, h.check.count["zego.realtime.online_user"])
	assert.Contains(t, fmtFields(h.logs.FilterMessageSnippet("GetRealtimeUsage failed").All()[0]), "transient")
}

// A simulator whose clock is 11 minutes off answers 100000004; the log names the local clock.
func TestClockSkew(t *testing.T) {
	h := newSimHarness(t, zegosim.Config{Delay: 3 * time.Minute, PerMinute: 3, PerDay: 480, ClockOffset: 11 * time.Minute}, nil, nil)
	require.Equal(t, pollAPIError, h.r.poll(context.Background()))
	lines := h.logs.FilterMessageSnippet("GetRealtimeUsage failed").All()
	require.Len(t, lines, 1)
	text := fmtFields(lines[0])
	assert.Contains(t, text, "clock_skew")
	assert.Contains(t, text, "local clock")
	assert.Contains(t, text, "10 minutes")
}

// TLS: the simulator behind HTTPS with its own CA. The receiver works with
// tls.ca_file, fails clearly without it, and skips verification only when told.
func TestTLS(t *testing.T) {
	caFile := ""
	tlsServer := func(s *zegosim.Server) *httptest.Server {
		srv := httptest.NewTLSServer(s)
		caFile = filepath.Join(t.TempDir(), "ca.pem")
		cert := srv.TLS.Certificates[0].Certificate[0]
		_, err := x509.ParseCertificate(cert)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}), 0o600))
		return srv
	}
	tests := []struct {
		name string
		tune func(cfg *Config)
		want pollOutcome
		log  string
	}{
		{"ca_file", func(cfg *Config) { cfg.TLS.CAFile = caFile }, pollDelivered, ""},
		{"no CA", func(*Config) {}, pollAPIError, "certificate"},
		{"insecure_skip_verify", func(cfg *Config) { cfg.TLS.InsecureSkipVerify = true }, pollDelivered, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// tune runs once the server, and so caFile, exists.
			h := newSimHarness(t, zegosim.Config{Delay: 3 * time.Minute}, tlsServer, tt.tune)
			require.Equal(t, tt.want, h.r.poll(context.Background()))
			if tt.log != "" {
				assert.Contains(t, fmtFields(h.logs.FilterMessageSnippet("GetRealtimeUsage failed").All()[0]), tt.log)
			} else {
				assert.Equal(t, 3*60, h.check.count["zego.realtime.online_user"], "the first window, (t0-6m, t0-3m]")
			}
		})
	}
}

// At debug level, through success, every error class and shutdown, neither
// the secret nor any signature appears in a log line or in the checkpoint.
func TestSecretNeverLeaks(t *testing.T) {
	h := newSimHarness(t, zegosim.Config{Delay: 3 * time.Minute, PerMinute: 1000, PerDay: 1000000}, nil, func(cfg *Config) {
		cfg.Quota = QuotaConfig{PerMinute: 1000, PerDay: 1000000}
	})
	h.r.next = consumertest.NewNop()
	poll := func() {
		h.r.poll(context.Background())
		h.clock.Advance(2 * time.Minute) // past the first backoff of any class
	}
	poll()
	for _, kind := range zegosim.FaultKinds() {
		if kind == "slow" {
			continue
		}
		h.sim.InjectFault(zegosim.Fault{Kind: kind, Count: 1})
		poll()
	}
	poll()
	require.NoError(t, h.r.Shutdown(context.Background()))
	require.Equal(t, len(zegosim.FaultKinds())+1, h.sim.Stats()[simAppID].Calls, "every poll made its call")
	require.GreaterOrEqual(t, h.logs.FilterMessageSnippet("GetRealtimeUsage failed").Len(), 5, "the error paths were logged")

	signature := regexp.MustCompile(`(?i)signature=[0-9a-f]{32}|[0-9a-f]{32}`)
	for _, e := range h.logs.All() {
		text := e.Message + " " + fmtFields(e)
		assert.NotContains(t, text, simSecret)
		assert.False(t, signature.MatchString(text), "a signature-like value in %q", text)
	}
	for _, v := range h.store.data {
		assert.NotContains(t, string(v), simSecret)
		assert.False(t, signature.Match(v))
	}
}

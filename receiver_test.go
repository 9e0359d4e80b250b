// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

var (
	storageID = component.MustNewID("shared_storage")
	electorID = component.MustNewID("k8s_leader_elector")
)

// The plan comes before any call, then where polling resumes once the checkpoint is read; then
// one line for the first batch, and quiet while healthy. The first call, due at once, waits
// in the transport while the logs are read.
func TestStartSaysThePlanFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(nil)
		calling, proceed := make(chan struct{}, 1), make(chan struct{})
		rt := roundTrip(func(r *http.Request) (*http.Response, error) {
			select {
			case calling <- struct{}{}:
				<-proceed
			default:
			}
			return sim.Transport().RoundTrip(r)
		})
		cfg := testConfig()
		cfg.InitialDelay = 0
		x := start(t, cfg, rt, &recorder{}, componenttest.NewNopHost())
		<-calling
		infos := x.logs.FilterLevelExact(zapcore.InfoLevel).All()
		require.Len(t, infos, 2, "the plan and where polling resumes, before the first call")
		assert.Equal(t, "Polling ZEGO's analytics API", infos[0].Message)
		assert.Equal(t, map[string]any{
			"endpoint":        "https://analytics-api.zego.im",
			"app_id":          testAppID,
			"apis":            "GetRealtimeUsage (6 metrics) every 3m1s: 477 calls a day",
			"quota":           "3 calls a minute and 480 a day per interface, never exceeded",
			"data_delay":      "3m0s",
			"late_window":     "10m0s",
			"server_secret":   "server_secret, fixed until a restart",
			"storage":         "none: a restart fetches initial_lookback again and forgets the calls already made",
			"leader_election": "off",
		}, infos[0].ContextMap())
		assert.Equal(t, "Polling starts", infos[1].Message)
		assert.Equal(t, []any{"GetRealtimeUsage from initial_lookback: 3m0s before now - data_delay"}, infos[1].ContextMap()["from"])

		close(proceed)
		time.Sleep(time.Hour)
		infos = x.logs.FilterLevelExact(zapcore.InfoLevel).All()
		require.Len(t, infos, 3, "then quiet while healthy")
		assert.Equal(t, "First batch delivered; quiet from now on while healthy", infos[2].Message)
		assert.Equal(t, int64(6*180), infos[2].ContextMap()["points"])
		assert.Len(t, callsOf(sim, zegoapi.ActionUsage), 20)
		assert.Empty(t, callsOf(sim, zegoapi.ActionQuality), "no quality metric enabled, no quality call")
	})
}

func TestStartFailsLoudly(t *testing.T) {
	broken := newSharedStorage()
	broken.openErr = errors.New("timeout")
	storage := func(c *Config) { c.StorageID = &storageID }
	tests := []struct {
		name    string
		edit    func(*Config)
		exts    map[component.ID]component.Component
		wantErr string
	}{
		{"storage not configured", storage, nil, `storage: extension "shared_storage" is not configured; add it under extensions: and service::extensions`},
		{"not a storage", func(c *Config) { c.StorageID = &electorID }, map[component.ID]component.Component{electorID: &elector{}}, `storage: extension "k8s_leader_elector" is not a storage extension`},
		// The usual cause of a held storage file is a second poller for the same App ID: polling
		// without the checkpoint would double calls and deliveries.
		{"storage cannot open", storage, map[component.ID]component.Component{storageID: broken}, `storage: opening a client on "shared_storage": timeout`},
		{"elector not configured", func(c *Config) { c.LeaderElector = &electorID }, nil, `k8s_leader_elector: extension "k8s_leader_elector" is not configured; add it under extensions: and service::extensions`},
		{"not an elector", func(c *Config) { c.LeaderElector = &storageID }, map[component.ID]component.Component{storageID: newSharedStorage()}, `k8s_leader_elector: extension "shared_storage" is not a leader elector (it has no SetCallBackFuncs)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(cfg)
			r, err := newZegoReceiver(receivertest.NewNopSettings(metadata.Type), cfg, &recorder{}, make(chan struct{}, 1), clientFromConfig)
			require.NoError(t, err)
			assert.EqualError(t, r.Start(t.Context(), hostWith(tt.exts)), tt.wantErr)
			assert.NoError(t, r.Shutdown(t.Context()))
		})
	}
}

// Shutdown cancels a call in flight at once; the call stays in the checkpoint's ledger,
// because ZEGO counted it.
func TestShutdownCancelsACallInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(nil)
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultSlow, Duration: time.Hour})
		store := newSharedStorage()
		cfg := testConfig()
		cfg.StorageID = &storageID
		x := start(t, cfg, sim.Transport(), &recorder{}, hostWith(map[component.ID]component.Component{storageID: store}))
		time.Sleep(2 * time.Second)
		synctest.Wait() // the call waits in the simulator

		began := time.Now()
		require.NoError(t, x.r.Shutdown(t.Context()))
		assert.Equal(t, began, time.Now(), "no wait for the slow answer")
		raw, err := store.TestClient.Get(t.Context(), checkpointKey(component.NewID(metadata.Type), testAppID, zegoapi.ActionUsage))
		require.NoError(t, err)
		var cp checkpoint
		require.NoError(t, json.Unmarshal(raw, &cp))
		assert.Len(t, cp.CallsMs, 1)
		assert.Empty(t, cp.Cursors, "nothing was acknowledged")
	})
}

// leader is the leader gauge of a receiver that runs (Shutdown removes it).
func (x *run) leader(t *testing.T) int64 {
	t.Helper()
	m, err := x.tel.GetMetric("otelcol_receiver_zego_leader")
	require.NoError(t, err)
	return m.Data.(metricdata.Gauge[int64]).DataPoints[0].Value
}

// The Collector's own receiver contract: data the pipeline took or refused for good is never
// sent again, and data it may take later is sent again until it does. The checker counts
// points by a test_id attribute, which the pipeline here adds (metric and timestamp).
func TestConsumeContract(t *testing.T) {
	var mu sync.Mutex
	var published []zegoapi.Point // online_user, as the generator makes them
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("StartTs"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("EndTs"), 10, 64)
		values := []map[string]any{}
		mu.Lock()
		for _, p := range published {
			if p.TimestampMs >= from && p.TimestampMs <= to {
				values = append(values, map[string]any{"Timestamp": p.TimestampMs, "Value": p.Value})
			}
		}
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"Code": 0, "Data": map[string]any{
			"Metrics": []any{map[string]any{"Metric": "online_user", "Values": values}},
		}})
	}))
	defer srv.Close()

	cfg := testConfig()
	cfg.Endpoint = srv.URL
	cfg.CollectionInterval, cfg.InitialDelay, cfg.DataDelay, cfg.InitialLookback = 10*time.Millisecond, 0, 200*time.Millisecond, time.Minute
	cfg.Quota = QuotaConfig{PerMinute: 100_000, PerDay: 100_000_000}
	for _, m := range usageMetrics {
		if m.zego != "online_user" {
			setEnabled(t, cfg, false, m.name())
		}
	}
	factory := receiver.NewFactory(metadata.Type, func() component.Config { return cfg },
		receiver.WithMetrics(func(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return NewFactory().CreateMetrics(ctx, set, cfg, withTestID{next})
		}, metadata.MetricsStability))
	var last int64
	receivertest.CheckConsumeContract(receivertest.CheckConsumeContractParams{
		T: t, Factory: factory, Signal: pipeline.SignalMetrics, Config: cfg, GenerateCount: 200,
		Generator: &generator{
			reset: func() { mu.Lock(); published = nil; mu.Unlock() },
			generate: func() []receivertest.UniqueIDAttrVal {
				mu.Lock()
				defer mu.Unlock()
				last = max(last+1, time.Now().UnixMilli())
				published = append(published, zegoapi.Point{TimestampMs: last, Value: 1})
				return []receivertest.UniqueIDAttrVal{testID("zego.realtime.online_user", last)}
			},
		},
	})
}

// generator forgets what it published when a scenario ends, not only when the next one begins:
// the checker starts the next receiver first, and its first poll must not find the last points.
type generator struct {
	reset    func()
	generate func() []receivertest.UniqueIDAttrVal
}

func (g *generator) Start()                                   { g.reset() }
func (g *generator) Stop()                                    { g.reset() }
func (g *generator) Generate() []receivertest.UniqueIDAttrVal { return g.generate() }

func testID(metric string, ms int64) receivertest.UniqueIDAttrVal {
	return receivertest.UniqueIDAttrVal(fmt.Sprintf("%s@%d", metric, ms))
}

// withTestID gives each data point the test_id the contract checker counts by.
type withTestID struct{ next consumer.Metrics }

func (c withTestID) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (c withTestID) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	for _, rm := range md.ResourceMetrics().All() {
		forEachPoint(rm, func(metric string, dp pmetric.NumberDataPoint) {
			dp.Attributes().PutStr(receivertest.UniqueIDAttrName, string(testID(metric, int64(dp.Timestamp())/int64(time.Millisecond))))
		})
	}
	return c.next.ConsumeMetrics(ctx, md)
}

// A day and two hours at the default settings, with quality on: each interface stays within
// its own quota (3 a minute, 480 in any 24 hours, as the simulator meters), and every point
// arrives exactly once at its own time with its value: per second for usage, per minute, with
// fractions, for quality.
func TestSimulatedDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, pipeline := newSim(nil), &recorder{}
		cfg := testConfig()
		enableQuality(t, cfg)
		x := start(t, cfg, sim.Transport(), pipeline, componenttest.NewNopHost())
		time.Sleep(26 * time.Hour)
		require.NoError(t, x.r.Shutdown(t.Context()))

		for _, api := range []zegoapi.Action{zegoapi.ActionUsage, zegoapi.ActionQuality} {
			calls := callsOf(sim, api)
			assert.LessOrEqual(t, maxInWindow(calls, time.Minute), 3, api)
			assert.LessOrEqual(t, maxInWindow(calls, day), 480, api)
			assert.Greater(t, len(calls), 500, "%s: about one call every 3 minutes", api)
			for _, c := range calls {
				require.Equal(t, zegosim.CodeSuccess, c.Code, "%s: no call was refused", api)
			}
			assertExactlyOnce(t, sim, cfg, api, calls[0].StartMs, x.cursor(api), pipeline.got)
		}
		quality := pipeline.got("zego.realtime.uplink_rtt")
		assert.Equal(t, int64(time.Minute/time.Millisecond), quality[1].ms-quality[0].ms)
		assert.NotEqual(t, quality[0].value, float64(int64(quality[0].value)), "fractional values kept")
		usage := pipeline.got("zego.realtime.online_user")
		assert.Equal(t, int64(1000), usage[1].ms-usage[0].ms)
	})
}

// With tls::ca_file the receiver trusts a private CA (a TLS-inspecting proxy); without it, it
// says why the call failed.
func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(newSim(func(c *zegosim.Config) { c.Delay = -1 }))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	for _, tt := range []struct {
		caFile string
		want   string
	}{
		{caFile, ""},
		{"", "certificate signed by unknown authority"},
	} {
		cfg := testConfig()
		cfg.Endpoint, cfg.InitialDelay, cfg.TLS.CAFile = srv.URL, 0, tt.caFile
		host := newStatuses()
		r, err := NewFactory().CreateMetrics(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, &recorder{})
		require.NoError(t, err)
		require.NoError(t, r.Start(t.Context(), host))
		select {
		case <-host.reported:
			ev := host.all()[0]
			if tt.want == "" {
				assert.NoError(t, ev.Err())
			} else {
				assert.ErrorContains(t, ev.Err(), tt.want)
			}
		case <-time.After(time.Minute):
			t.Error("no call within a minute")
		}
		require.NoError(t, r.Shutdown(t.Context()))
	}
}

// statuses records the component status events a receiver reports, never blocking it, and
// signals each on reported (dropped when a signal is pending).
type statuses struct {
	component.Host
	mu       sync.Mutex
	events   []*componentstatus.Event
	reported chan struct{}
}

func newStatuses() *statuses { return &statuses{reported: make(chan struct{}, 1)} }

func (h *statuses) GetExtensions() map[component.ID]component.Component { return nil }

func (h *statuses) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
	select {
	case h.reported <- struct{}{}:
	default:
	}
}

func (h *statuses) all() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// Across every kind of failure, at debug level, neither the secret (read from server_secret_file)
// nor a request signature shows in a log line or in the checkpoint. (A rotated secret's logs:
// TestSecretRotation.)
func TestSecretNeverLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(nil)
		for _, code := range []int{100000005, 100000004, 30002, 500, 100000010} {
			sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultCode, Code: code, Count: 1})
		}
		for _, kind := range []string{zegosim.FaultHTML, zegosim.FaultMalformed, zegosim.FaultTruncated, zegosim.FaultReset} {
			sim.InjectFault(zegosim.Fault{Kind: kind, Count: 1})
		}
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultSlow, Duration: time.Hour, Count: 1})
		store := newSharedStorage()
		cfg := testConfig()
		cfg.StorageID = &storageID
		cfg.ServerSecret, cfg.ServerSecretFile = "", filepath.Join(t.TempDir(), "server_secret")
		require.NoError(t, os.WriteFile(cfg.ServerSecretFile, []byte(testSecret), 0o600))
		x := start(t, cfg, sim.Transport(), &recorder{}, hostWith(map[component.ID]component.Component{storageID: store}))
		time.Sleep(6 * time.Hour)
		require.NoError(t, x.r.Shutdown(t.Context()))
		require.GreaterOrEqual(t, len(sim.Calls()), 11)

		leak := regexp.MustCompile(regexp.QuoteMeta(testSecret) + `|[0-9a-f]{32}`)
		for _, e := range x.logs.All() {
			line := fmt.Sprint(e.Message, e.ContextMap())
			assert.NotRegexp(t, leak, line)
		}
		require.NoError(t, store.Walk(t.Context(), func(key string, value []byte) ([]*storage.Operation, error) {
			assert.NotRegexp(t, leak, key+string(value))
			return nil, nil
		}))
		assert.NotEmpty(t, x.logs.FilterMessageSnippet("failed").All())
	})
}

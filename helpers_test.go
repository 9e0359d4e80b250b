// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

const (
	testAppID  = uint32(12345)
	testSecret = "zegosim-test-secret-0b1f5c" //nolint:gosec // G101: the simulator's made-up secret
)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.AppID, cfg.ServerSecret = testAppID, testSecret
	return cfg
}

// setEnabled turns metrics on or off as a user's metrics:: section would.
func setEnabled(t *testing.T, cfg *Config, enabled bool, names ...string) {
	t.Helper()
	metrics := map[string]any{}
	for _, name := range names {
		metrics[name] = map[string]any{"enabled": enabled}
	}
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"metrics": metrics}).Unmarshal(cfg))
}

func enableQuality(t *testing.T, cfg *Config) {
	setEnabled(t, cfg, true, realtimeNames(qualityMetrics)...)
}

// through builds clients that call through rt (a simulator's in-process transport).
func through(rt http.RoundTripper) clientFunc {
	return func(context.Context, component.Host, *Config, component.TelemetrySettings) (*http.Client, error) {
		return &http.Client{Transport: rt}, nil
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func newSim(edit func(*zegosim.Config)) *zegosim.Server {
	cfg := zegosim.Config{Apps: map[uint32]string{testAppID: testSecret}, Seed: 7}
	if edit != nil {
		edit(&cfg)
	}
	return zegosim.New(cfg)
}

// run is a started receiver and what it reports.
type run struct {
	r    *zegoReceiver
	logs *observer.ObservedLogs
	tel  *componenttest.Telemetry
}

// start starts a receiver for cfg that calls ZEGO through rt (a simulator's in-process
// transport, inside synctest bubbles) and delivers to next; it is shut down at cleanup.
func start(tb testing.TB, cfg *Config, rt http.RoundTripper, next consumer.Metrics, host component.Host) *run {
	tb.Helper()
	core, logs := observer.New(zap.DebugLevel)
	tel := componenttest.NewTelemetry()
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type) // as configured, the same on every replica
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core, zap.AddStacktrace(zapcore.ErrorLevel)) // as the Collector's logger does
	r, err := newZegoReceiver(set, cfg, next, make(chan struct{}, backfillSlots), through(rt))
	require.NoError(tb, err)
	require.NoError(tb, r.Start(tb.Context(), host))
	tb.Cleanup(func() { assert.NoError(tb, r.Shutdown(context.Background())) })
	return &run{r: r, logs: logs, tel: tel}
}

// counter sums a telemetry counter's points that carry all of attrs.
func (x *run) counter(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := x.tel.GetMetric("otelcol_receiver_zego_" + name)
	if err != nil {
		return 0 // nothing recorded yet
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if !slices.ContainsFunc(attrs, func(kv attribute.KeyValue) bool { v, ok := dp.Attributes.Value(kv.Key); return !ok || v != kv.Value }) {
			n += dp.Value
		}
	}
	return n
}

// pollerFor is r's poller of api.
func pollerFor(r *zegoReceiver, api zegoapi.Action) *poller {
	return r.pollers[slices.IndexFunc(r.pollers, func(p *poller) bool { return p.spec.action == api })]
}

// cursor is where the first request of api resumes.
func (x *run) cursor(api zegoapi.Action) int64 {
	p := pollerFor(x.r, api)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.targets[0].cursor.afterMs
}

func apiAttr(a zegoapi.Action) attribute.KeyValue { return attribute.String("api", string(a)) }

func outcomeAttr(o string) attribute.KeyValue { return attribute.String("outcome", o) }

// point is one delivered data point.
type point struct {
	ms    int64
	value float64
}

// recorder is the pipeline: a consumertest.MetricsSink, which keeps every batch it accepts, that
// answers with refuse's verdict first when refuse is set.
type recorder struct {
	consumertest.MetricsSink
	refuse func(pmetric.Metrics) error
}

func (c *recorder) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if c.refuse != nil {
		if err := c.refuse(md); err != nil {
			return err
		}
	}
	return c.MetricsSink.ConsumeMetrics(ctx, md)
}

func (c *recorder) got(metric string) []point { return c.gotFor(testAppID, metric) }

// gotFor is what the pipeline took of metric for appID, in the order it took it.
func (c *recorder) gotFor(appID uint32, metric string) []point {
	var out []point
	for _, md := range c.AllMetrics() {
		for _, rm := range md.ResourceMetrics().All() {
			if app, _ := rm.Resource().Attributes().Get("zego.app_id"); app.AsString() != strconv.FormatUint(uint64(appID), 10) {
				continue
			}
			forEachPoint(rm, func(name string, dp pmetric.NumberDataPoint) {
				if name == metric {
					out = append(out, point{int64(dp.Timestamp()) / int64(time.Millisecond), dp.DoubleValue() + float64(dp.IntValue())})
				}
			})
		}
	}
	return out
}

func forEachPoint(rm pmetric.ResourceMetrics, f func(metric string, dp pmetric.NumberDataPoint)) {
	for _, sm := range rm.ScopeMetrics().All() {
		for _, m := range sm.Metrics().All() {
			for _, dp := range m.Gauge().DataPoints().All() {
				f(m.Name(), dp)
			}
		}
	}
}

// assertExactlyOnce checks that the delivered points of each enabled metric of api are the
// simulator's points of (afterMs, untilMs], each once, in order, at its own time, with the
// simulator's value.
func assertExactlyOnce(t *testing.T, sim *zegosim.Server, cfg *Config, api zegoapi.Action, afterMs, untilMs int64, got func(string) []point) {
	t.Helper()
	metrics := map[zegoapi.Action][]realtimeMetric{zegoapi.ActionUsage: usageMetrics, zegoapi.ActionQuality: qualityMetrics}[api]
	times := sim.PointTimes(string(api), afterMs, untilMs)
	require.NotEmpty(t, times)
	enabled := enabledMetrics(cfg.Metrics)
	for _, m := range metrics {
		if !enabled[m.name()] {
			continue
		}
		want := make([]point, len(times))
		for i, ms := range times {
			want[i] = point{ms, sim.Value(cfg.AppID, m.zego, ms)}
		}
		if !assert.Equal(t, want, got(m.name()), "%s: each point of (%d, %d] once, in order", m.name(), afterMs, untilMs) {
			return
		}
	}
}

// settled is what got returns up to untilMs, in time order: late points come in batches of
// their own, and those a poll passed last may be unpublished still.
func settled(untilMs int64, got func(string) []point) func(string) []point {
	return func(metric string) []point {
		pts := slices.DeleteFunc(got(metric), func(p point) bool { return p.ms > untilMs })
		slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.ms, b.ms) })
		return pts
	}
}

// callsOf is the simulator's record of api's calls.
func callsOf(sim *zegosim.Server, api zegoapi.Action) []zegosim.Call {
	return slices.DeleteFunc(sim.Calls(), func(c zegosim.Call) bool { return c.Action != string(api) })
}

// maxInWindow is the most calls in any half-open window of length d, as ZEGO counts.
func maxInWindow(calls []zegosim.Call, d time.Duration) int {
	most := 0
	for i := range calls {
		n := 0
		for j := i; j < len(calls) && calls[j].Time.Sub(calls[i].Time) < d; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

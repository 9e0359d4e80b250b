package zegoreceiver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/metadatatest"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// t0 is the fake clock's start: a whole minute, so windows are easy to read.
var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeAPI records queries and answers with respond (an empty success by default).
type fakeAPI struct {
	mu      sync.Mutex
	queries []zegoapi.Query
	respond func(ctx context.Context, q zegoapi.Query) (*zegoapi.Answer, error)
}

func (f *fakeAPI) GetRealtimeUsageInto(ctx context.Context, q zegoapi.Query, a *zegoapi.Answer) error {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	respond := f.respond
	f.mu.Unlock()
	answer := &zegoapi.Answer{}
	if respond != nil {
		var err error
		if answer, err = respond(ctx, q); err != nil {
			// The client leaves a's contents unspecified on error: scribble on them, so that a
			// receiver reading them anyway fails its tests.
			fillAnswer(a, &zegoapi.Answer{RequestID: "stale", Series: []zegoapi.Series{{Metric: "online_user", Points: []zegoapi.Point{{TimestampMs: 1, Value: -1}}}}})
			return err
		}
	}
	fillAnswer(a, answer)
	return nil
}

// fillAnswer copies src into a as zegoapi.DecodeInto decodes into it: reusing a's series and
// their Points arrays, so that anything still pointing into the previous answer sees it
// overwritten.
func fillAnswer(a, src *zegoapi.Answer) {
	old := a.Series[:cap(a.Series)]
	a.RequestID, a.InvalidValues = src.RequestID, src.InvalidValues
	a.Series = a.Series[:0]
	for i, s := range src.Series {
		var pts []zegoapi.Point
		if i < len(old) {
			pts = old[i].Points[:0]
		}
		a.Series = append(a.Series, zegoapi.Series{Metric: s.Metric, Points: append(pts, s.Points...)})
	}
}

func (f *fakeAPI) calls() []zegoapi.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]zegoapi.Query(nil), f.queries...)
}

func (f *fakeAPI) last(t *testing.T) zegoapi.Query {
	t.Helper()
	c := f.calls()
	require.NotEmpty(t, c, "no call was made")
	return c[len(c)-1]
}

func apiErr(kind zegoapi.ErrorKind, code int64) error {
	return &zegoapi.APIError{Kind: kind, Code: code, Message: "from the fake API"}
}

// switchConsumer is a sink whose answer the test can change between polls.
type switchConsumer struct {
	consumertest.MetricsSink
	mu  sync.Mutex
	err error
}

func (c *switchConsumer) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

func (c *switchConsumer) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.MetricsSink.ConsumeMetrics(ctx, md)
}

var errPipeline = errors.New("exporter queue is full")

// memStorage is an in-memory storage.Client; failSet makes writes fail.
type memStorage struct {
	mu      sync.Mutex
	data    map[string][]byte
	failSet error
	failGet error
}

func newMemStorage() *memStorage { return &memStorage{data: map[string][]byte{}} }

func (m *memStorage) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failGet != nil {
		return nil, m.failGet
	}
	return m.data[key], nil
}

func (m *memStorage) Set(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSet != nil {
		return m.failSet
	}
	m.data[key] = append([]byte(nil), value...)
	return nil
}

func (m *memStorage) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

func (m *memStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		var err error
		switch op.Type {
		case storage.Get:
			op.Value, err = m.Get(ctx, op.Key)
		case storage.Set:
			err = m.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			err = m.Delete(ctx, op.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (*memStorage) Close(context.Context) error { return nil }

// memStorageExtension hands out one shared memStorage, like a file_storage
// extension whose files outlive a receiver.
type memStorageExtension struct {
	component.StartFunc
	component.ShutdownFunc
	store *memStorage
}

func (e *memStorageExtension) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return e.store, nil
}

var (
	storageID = component.MustNewIDWithName("file_storage", "test")
	testID    = component.NewID(metadata.Type) // the ID metadatatest.NewSettings gives
)

type hostWithExtensions struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h hostWithExtensions) GetExtensions() map[component.ID]component.Component { return h.ext }

func hostWithStorage(store *memStorage) component.Host {
	return hostWithExtensions{
		Host: componenttest.NewNopHost(),
		ext:  map[component.ID]component.Component{storageID: &memStorageExtension{store: store}},
	}
}

// manualTimer fires only when the test says so.
type manualTimer struct {
	c      chan time.Time
	resets chan time.Duration
}

func newManualTimer() *manualTimer {
	return &manualTimer{c: make(chan time.Time), resets: make(chan time.Duration, 100)}
}

func (m *manualTimer) C() <-chan time.Time   { return m.c }
func (m *manualTimer) Reset(d time.Duration) { m.resets <- d }
func (*manualTimer) Stop()                   {}

// harness is a receiver wired to fakes, driven poll by poll.
type harness struct {
	r     *zegoReceiver
	api   *fakeAPI
	sink  *switchConsumer
	clock *fakeClock
	tel   *componenttest.Telemetry
	logs  *observer.ObservedLogs
	timer *manualTimer
}

type harnessOption func(cfg *Config)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.AppID = 12345
	cfg.ServerSecret = "s3cr3t"
	return cfg
}

func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	return newHarnessWithConsumer(t, cfg, &switchConsumer{})
}

func newHarnessWithConsumer(t testing.TB, cfg *Config, sink *switchConsumer) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zap.DebugLevel)
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)
	r, err := newZegoReceiver(set, cfg, consumer.Metrics(sink))
	require.NoError(t, err)
	h := &harness{r: r, api: &fakeAPI{}, sink: sink, clock: &fakeClock{now: t0}, tel: tel, logs: logs, timer: newManualTimer()}
	r.api = h.api
	r.now = h.clock.Now
	r.newTimer = func(time.Duration) pollTimer { return h.timer }
	return h
}

func (h *harness) poll(t *testing.T) pollOutcome {
	t.Helper()
	return h.r.poll(context.Background())
}

func ms(t time.Time) int64 { return t.UnixMilli() }

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// usageAPI is the one call the receiver makes; tests substitute it. It decodes into an Answer
// the receiver reuses from poll to poll; on error the Answer's contents are unspecified.
type usageAPI interface {
	GetRealtimeUsageInto(ctx context.Context, q zegoapi.Query, a *zegoapi.Answer) error
}

// pollTimer fires the poll loop; tests substitute a manual one.
type pollTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r realTimer) Stop()                 { r.t.Stop() }

func newRealTimer(d time.Duration) pollTimer { return realTimer{time.NewTimer(d)} }

// zegoReceiver polls GetRealtimeUsage on its own loop rather than through the
// Collector's scraper controller, because a cursor may only move once the
// pipeline has accepted the data, and the controller ignores what the
// pipeline answers.
type zegoReceiver struct {
	cfg      *Config
	settings receiver.Settings
	logger   *zap.Logger
	next     consumer.Metrics
	obsrecv  *receiverhelper.ObsReport

	// Injected for tests.
	now      func() time.Time
	newTimer func(time.Duration) pollTimer
	api      usageAPI

	metrics   []metricDef
	apiNames  []string
	mb        *metadata.MetricsBuilder
	resource  pcommon.Resource
	telemetry *metadata.TelemetryBuilder

	// Buffers reused from poll to poll, touched only by poll (one goroutine); see
	// releaseLargeBuffers for their bound.
	answer  zegoapi.Answer
	scratch []zegoapi.Point
	// invalidLogged: points with invalid values were warned about once already.
	invalidLogged bool

	// mu guards the state below, which telemetry callbacks read from other goroutines.
	mu      sync.Mutex
	state   pollState
	store   *checkpointStore
	errLog  errorLog
	host    component.Host
	cancel  context.CancelFunc
	done    chan struct{}
	started bool

	// saveFailing is set while saving the checkpoint fails, so the failure is
	// warned about once rather than at every poll; guarded by mu.
	saveFailing bool
}

// pollState is what one poll decides from and updates.
type pollState struct {
	cursorMs int64 // exclusive; 0 until the first poll or a checkpoint sets it
	// acknowledged is true when cursorMs marks data the pipeline accepted (or a
	// loaded checkpoint), as opposed to the first poll's initial lookback.
	acknowledged bool
	ledger       *quotaLedger
	backoff      backoff
}

func newZegoReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics) (*zegoReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	metrics := enabledMetrics(cfg.MetricsBuilderConfig)
	apiNames := make([]string, len(metrics))
	for i, d := range metrics {
		apiNames[i] = d.api
	}
	// A gauge point from ZEGO is an instant reading: no start timestamp.
	mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set, metadata.WithStartTime(0))
	rb := mb.NewResourceBuilder()
	rb.SetZegoAppID(strconv.FormatUint(uint64(cfg.AppID), 10))
	r := &zegoReceiver{
		cfg:      cfg,
		settings: set,
		logger:   set.Logger,
		next:     next,
		obsrecv:  obsrecv,
		now:      time.Now,
		newTimer: newRealTimer,
		metrics:  metrics,
		apiNames: apiNames,
		mb:       mb,
		resource: rb.Emit(),
		state:    pollState{ledger: newQuotaLedger(cfg.Quota, cfg.Timeout)},
		store:    &checkpointStore{client: storage.NewNopClient(), key: checkpointKey(set.ID, cfg.AppID), appID: cfg.AppID},
	}
	if r.telemetry, err = metadata.NewTelemetryBuilder(set.TelemetrySettings); err != nil {
		return nil, err
	}
	if err := errors.Join(
		r.telemetry.RegisterReceiverZegoCursorLagCallback(r.observeCursorLag),
		r.telemetry.RegisterReceiverZegoQuotaRemainingCallback(r.observeQuotaRemaining),
	); err != nil {
		return nil, err
	}
	return r, nil
}

// Start prepares the client and the checkpoint and starts the poll loop. It
// never waits on the network: the first call happens initial_delay later.
func (r *zegoReceiver) Start(ctx context.Context, host component.Host) error {
	if r.api == nil {
		httpClient, err := r.cfg.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("building the HTTP client: %w", err)
		}
		r.api = zegoapi.NewClient(httpClient, zegoapi.Config{
			Endpoint:     r.cfg.Endpoint,
			AppID:        r.cfg.AppID,
			ServerSecret: string(r.cfg.ServerSecret),
			IsTest:       r.cfg.IsTest,
		}, zegoapi.WithClock(r.now))
	}
	if r.cfg.StorageID != nil {
		client, err := storageClient(ctx, host, *r.cfg.StorageID, r.settings.ID)
		if err != nil {
			return err
		}
		r.store.client = client
	}

	r.mu.Lock()
	r.host = host
	r.loadCheckpoint(ctx)
	r.mu.Unlock()

	loopCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan struct{})
	r.started = true
	go r.run(loopCtx, r.now().Add(r.cfg.InitialDelay))
	return nil
}

func storageClient(ctx context.Context, host component.Host, storageID, self component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not configured; add it under extensions: and service::extensions", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", storageID)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage: opening a client on %q: %w", storageID, err)
	}
	return client, nil
}

// Shutdown stops the loop (cancelling a call in flight), saves the checkpoint
// and closes the storage client. It is safe without Start.
func (r *zegoReceiver) Shutdown(ctx context.Context) error {
	defer r.telemetry.Shutdown()
	if !r.started {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.mu.Lock()
	r.saveCheckpoint(ctx)
	r.mu.Unlock()
	return r.store.client.Close(ctx)
}

// run polls at initial_delay and then every collection_interval, on a fixed
// schedule: a slow poll delays the next tick but does not shift the ones after.
func (r *zegoReceiver) run(ctx context.Context, next time.Time) {
	defer close(r.done)
	timer := r.newTimer(r.cfg.InitialDelay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		}
		r.poll(ctx)
		next = nextTick(next, r.cfg.CollectionInterval, r.now())
		timer.Reset(next.Sub(r.now()))
	}
}

// nextTick is the first tick of the schedule last, last+interval, … after now.
func nextTick(last time.Time, interval time.Duration, now time.Time) time.Time {
	next := last.Add(interval)
	if !next.After(now) {
		missed := now.Sub(next)/interval + 1
		next = next.Add(missed * interval)
	}
	return next
}

func (r *zegoReceiver) observeCursorLag(_ context.Context, o metric.Float64Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state.cursorMs != 0 {
		o.Observe(float64(r.now().UnixMilli()-r.state.cursorMs) / 1000)
	}
	return nil
}

func (r *zegoReceiver) observeQuotaRemaining(_ context.Context, o metric.Int64Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	o.Observe(int64(r.state.ledger.remainingToday(r.now())))
	return nil
}

// loadCheckpoint restores the cursor and ledger; a bad checkpoint is logged and ignored.
func (r *zegoReceiver) loadCheckpoint(ctx context.Context) {
	cp, found, err := r.store.load(ctx)
	if err != nil {
		r.logger.Warn("Ignoring the stored checkpoint and starting afresh; data older than initial_lookback will not be fetched",
			zap.Error(err), zap.Duration("initial_lookback", r.cfg.InitialLookback))
		return
	}
	if !found {
		return
	}
	r.state.cursorMs = cp.CursorMs
	r.state.acknowledged = cp.CursorMs != 0
	r.state.ledger.restore(cp.CallsMs, r.now())
	r.logger.Info("Resuming from checkpoint",
		zap.Time("cursor", time.UnixMilli(cp.CursorMs).UTC()), zap.Int("calls_in_last_24h", len(cp.CallsMs)))
}

// saveCheckpoint persists what has been acknowledged and every call sent. A
// failure is logged, not fatal: polling goes on from memory. Call with mu held.
func (r *zegoReceiver) saveCheckpoint(ctx context.Context) {
	cp := checkpoint{CallsMs: r.state.ledger.snapshot(r.now())}
	if r.state.acknowledged {
		cp.CursorMs = r.state.cursorMs
	}
	err := r.store.save(ctx, cp)
	switch {
	case err != nil && !r.saveFailing:
		r.saveFailing = true
		r.logger.Warn("Could not save the checkpoint; after a restart some data may be fetched again and the quota ledger may be incomplete", zap.Error(err))
	case err != nil:
		r.logger.Debug("Could not save the checkpoint again", zap.Error(err))
	case r.saveFailing:
		r.saveFailing = false
		r.logger.Info("The checkpoint is saved again")
	}
}

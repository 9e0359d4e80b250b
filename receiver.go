package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// leaderElector is what the receiver needs of contrib's k8s_leader_elector extension, declared
// here so that the receiver does not depend on that module. The extension calls
// onStartedLeading each time this replica wins the lease, and onStoppedLeading when it loses it.
type leaderElector interface {
	SetCallBackFuncs(onStartedLeading func(context.Context), onStoppedLeading func())
}

// zegoReceiver polls ZEGO on its own loops rather than through the Collector's scraper
// controller, because a cursor may only move once the pipeline has answered, and the
// controller ignores what the pipeline answers. It polls in terms: one from Start to Shutdown
// or, with k8s_leader_elector, one for each time this replica is elected.
type zegoReceiver struct {
	cfg     *Config
	set     receiver.Settings
	logger  *zap.Logger
	tb      *metadata.TelemetryBuilder
	pollers []*poller
	// httpClient, when set (by tests), replaces the client built from the config.
	httpClient *http.Client

	mu       sync.Mutex // serializes Start, Shutdown and the leadership callbacks
	host     component.Host
	storage  storage.Client
	shutdown bool
	term     atomic.Pointer[term] // the latest term, nil before the first and after Shutdown
}

// term is one stretch of polling. It ends when its context does, or when it is ended; a term
// that ended never holds up another.
type term struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed once its loops have stopped and its checkpoints are saved
}

func (t *term) live() bool { return t != nil && t.ctx.Err() == nil }

func newZegoReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics, slots chan struct{}) (*zegoReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	// API failures are expected events, not bugs: their log lines need no stack trace.
	logger := set.Logger.WithOptions(zap.AddStacktrace(zapcore.FatalLevel))
	r := &zegoReceiver{cfg: cfg, set: set, logger: logger, tb: tb}
	// The App ID on every instrument tells apart the receivers of one collector.
	appID := attribute.String("zego.app_id", strconv.FormatUint(uint64(cfg.AppID), 10))
	for _, spec := range apiSpecs {
		metrics := spec.enabledMetrics(cfg.Metrics)
		if len(metrics) == 0 {
			continue
		}
		// A gauge point from ZEGO is an instant reading: no start timestamp.
		mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set, metadata.WithStartTime(0))
		rb := mb.NewResourceBuilder()
		rb.SetZegoAppID(appID.Value.AsString())
		targets, interval := []string{""}, cfg.CollectionInterval
		if spec.action == zegoapi.ActionRegion {
			targets, interval = cfg.RegionQuality.Platforms, cfg.regionInterval()
		}
		r.pollers = append(r.pollers, &poller{
			spec: spec, metrics: metrics, cfg: cfg, next: next, obsrecv: obsrecv, tb: tb,
			interval: interval, targets: targets, cursors: make([]cursor, len(targets)),
			keep:   regionFilter(cfg.RegionQuality.Regions),
			api:    metric.WithAttributeSet(attribute.NewSet(appID, attribute.String("api", spec.attr.String()))),
			logger: logger.With(zap.String("api", string(spec.action))),
			mb:     mb, resource: rb.Emit(), slots: slots,
			ledger: newQuotaLedger(cfg.Quota, cfg.Timeout),
		})
	}
	err = errors.Join(
		tb.RegisterReceiverZegoCursorLagCallback(func(_ context.Context, o metric.Float64Observer) error {
			for _, p := range r.pollers {
				if lag, ok := p.cursorLag(); ok {
					o.Observe(lag.Seconds(), p.api)
				}
			}
			return nil
		}),
		tb.RegisterReceiverZegoQuotaRemainingCallback(func(_ context.Context, o metric.Int64Observer) error {
			for _, p := range r.pollers {
				o.Observe(int64(p.quotaLeft()), p.api)
			}
			return nil
		}),
		tb.RegisterReceiverZegoLeaderCallback(func(_ context.Context, o metric.Int64Observer) error {
			leading := int64(0)
			if r.term.Load().live() {
				leading = 1
			}
			o.Observe(leading, metric.WithAttributes(appID))
			return nil
		}),
	)
	return r, err
}

// Start builds the client, opens the checkpoint storage, says what the receiver will do, and
// starts a polling term (or, with k8s_leader_elector, waits to be elected). It never waits on
// the network or the storage: a term reads its checkpoints before its first call.
func (r *zegoReceiver) Start(ctx context.Context, host component.Host) error {
	elector, err := r.setUp(ctx, host)
	if err != nil || elector == nil {
		return err
	}
	// Not under r.mu: an elector that already leads may call back from inside.
	elector.SetCallBackFuncs(r.startedLeading, r.stoppedLeading)
	return nil
}

// setUp does Start's work under r.mu and returns the elector to register with, if any.
func (r *zegoReceiver) setUp(ctx context.Context, host component.Host) (leaderElector, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	httpClient := r.httpClient
	if httpClient == nil {
		var err error
		if httpClient, err = r.cfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings); err != nil {
			return nil, fmt.Errorf("building the HTTP client: %w", err)
		}
	}
	client, err := zegoapi.NewClient(httpClient, zegoapi.Config{
		Endpoint: r.cfg.Endpoint, AppID: r.cfg.AppID, ServerSecret: string(r.cfg.ServerSecret), IsTest: r.cfg.IsTest,
	})
	if err != nil {
		return nil, err
	}
	r.storage = storage.NewNopClient()
	if r.cfg.StorageID != nil {
		if r.storage, err = storageClient(ctx, host, *r.cfg.StorageID, r.set.ID); err != nil {
			return nil, err
		}
	}
	var elector leaderElector
	if id := r.cfg.LeaderElector; id != nil {
		ext, found := host.GetExtensions()[*id]
		if !found {
			return nil, fmt.Errorf("k8s_leader_elector: extension %q is not configured; add it under extensions: and service::extensions", id)
		}
		if elector, _ = ext.(leaderElector); elector == nil {
			return nil, fmt.Errorf("k8s_leader_elector: extension %q is not a leader elector (it has no SetCallBackFuncs)", id)
		}
	}
	r.host = host
	for _, p := range r.pollers {
		p.client, p.host = client, host
		p.store = newCheckpoints(r.storage, r.set.ID, r.cfg.AppID, p.spec.action, r.cfg.Timeout, p.logger)
	}
	if elector == nil {
		r.logPlan("off")
		r.beginLocked(context.Background(), "Polling starts")
		return nil, nil
	}
	r.logPlan(fmt.Sprintf("on, through %q: polls only while leading", r.cfg.LeaderElector))
	return elector, nil
}

func storageClient(ctx context.Context, host component.Host, id, self component.ID) (storage.Client, error) {
	ext, found := host.GetExtensions()[id]
	if !found {
		return nil, fmt.Errorf("storage: extension %q is not configured; add it under extensions: and service::extensions", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage: opening a client on %q: %w", id, err)
	}
	return client, nil
}

// startedLeading begins a term from the checkpoint, which a storage shared between the
// replicas carries from the previous leader: its cursor and the calls it spent. client-go calls
// it on a goroutine of its own, so it can arrive after the term's stop, its context already
// canceled: such a term is over before it began, and is ignored.
func (r *zegoReceiver) startedLeading(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutdown || ctx.Err() != nil {
		r.logger.Debug("A leadership term that was already over is ignored")
		return
	}
	r.endLocked() // an elector calls stop between two terms; should it not, the newer term wins
	r.beginLocked(ctx, "Elected leader: polling starts")
	r.reportLeading(true)
}

// stoppedLeading ends the term that runs (a call in flight is canceled; it stays in the
// ledger), saves the checkpoint for the next leader, and stands by.
func (r *zegoReceiver) stoppedLeading() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.term.Load() == nil {
		return
	}
	r.endLocked()
	r.logger.Info("Lost leadership: polling stopped, checkpoint saved; standing by")
	r.reportLeading(false)
}

// beginLocked starts a term under parent: it reads each interface's checkpoint, says where
// polling resumes, and runs the loops. Call with r.mu held.
func (r *zegoReceiver) beginLocked(parent context.Context, announce string) {
	ctx, cancel := context.WithCancel(parent)
	t := &term{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.term.Store(t)
	go func() {
		defer close(t.done)
		var from []string
		for _, p := range r.pollers {
			where, ok := p.restore(ctx)
			if !ok {
				return // over before every checkpoint could be read: nothing to save
			}
			from = append(from, fmt.Sprintf("%s from %s", p.spec.action, where))
		}
		r.logger.Info(announce, zap.Strings("from", from))
		var loops sync.WaitGroup
		for _, p := range r.pollers {
			loops.Go(func() { p.run(ctx) })
		}
		loops.Wait()
		// The last saves, made as the term ends, share one timeout: a hung storage delays the
		// end of leadership or Shutdown by that much at most.
		final, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		defer cancel()
		for _, p := range r.pollers {
			p.save(final)
		}
	}()
}

// endLocked ends the latest term and waits for it: at most one timeout when the storage hangs.
// Call with r.mu held.
func (r *zegoReceiver) endLocked() {
	if t := r.term.Swap(nil); t != nil {
		t.cancel()
		<-t.done
	}
}

func (r *zegoReceiver) reportLeading(leading bool) {
	attrs := pcommon.NewMap()
	attrs.PutBool("zego.leader", leading)
	componentstatus.ReportStatus(r.host, componentstatus.NewEvent(componentstatus.StatusOK, componentstatus.WithAttributes(attrs)))
}

// Shutdown ends the term that runs, saves the checkpoints and closes the storage client. It is
// safe without Start.
func (r *zegoReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.tb.Shutdown()
	r.shutdown = true
	r.endLocked()
	if r.storage != nil {
		return r.storage.Close(ctx)
	}
	return nil
}

// logPlan says, before any call, what the receiver is going to do.
func (r *zegoReceiver) logPlan(leaderElection string) {
	var apis []string
	for _, p := range r.pollers {
		what := fmt.Sprintf("%d metrics", len(p.metrics))
		if p.targets[0] != "" {
			what += ", platforms " + strings.Join(p.targets, " and ")
		}
		apis = append(apis, fmt.Sprintf("%s (%s) every %v: %d calls a day", p.spec.action, what, p.interval, int64(len(p.targets))*int64(day/p.interval)))
	}
	storageName := "none: a restart fetches initial_lookback again and forgets the calls already made"
	if r.cfg.StorageID != nil {
		storageName = r.cfg.StorageID.String()
	}
	r.logger.Info("Polling ZEGO's real-time monitoring",
		zap.String("endpoint", r.cfg.Endpoint),
		zap.Uint32("app_id", r.cfg.AppID),
		zap.String("apis", strings.Join(apis, "; ")),
		zap.String("quota", fmt.Sprintf("%d calls a minute and %d a day per interface, never exceeded", r.cfg.Quota.PerMinute, r.cfg.Quota.PerDay)),
		zap.String("data_delay", r.cfg.DataDelay.String()),
		zap.String("storage", storageName),
		zap.String("leader_election", leaderElection),
	)
}

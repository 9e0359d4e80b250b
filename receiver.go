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
// controller ignores what the pipeline answers. It polls from Start to Shutdown or, with
// k8s_leader_elector, during each leadership term.
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
	stop     context.CancelFunc // set while polling
	loops    sync.WaitGroup
	shutdown bool
	leading  atomic.Bool
}

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
		r.pollers = append(r.pollers, &poller{
			spec: spec, metrics: metrics, cfg: cfg, next: next, obsrecv: obsrecv, tb: tb,
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
			if r.leading.Load() {
				leading = 1
			}
			o.Observe(leading, metric.WithAttributes(appID))
			return nil
		}),
	)
	return r, err
}

// Start builds the client, opens the checkpoint storage, says what the receiver will do, and
// starts polling (or, with k8s_leader_elector, waits to be elected). It never waits on the
// network: the first call happens initial_delay after polling starts.
func (r *zegoReceiver) Start(ctx context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	httpClient := r.httpClient
	if httpClient == nil {
		var err error
		if httpClient, err = r.cfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings); err != nil {
			return fmt.Errorf("building the HTTP client: %w", err)
		}
	}
	client, err := zegoapi.NewClient(httpClient, zegoapi.Config{
		Endpoint: r.cfg.Endpoint, AppID: r.cfg.AppID, ServerSecret: string(r.cfg.ServerSecret), IsTest: r.cfg.IsTest,
	})
	if err != nil {
		return err
	}
	r.storage = storage.NewNopClient()
	if r.cfg.StorageID != nil {
		if r.storage, err = storageClient(ctx, host, *r.cfg.StorageID, r.set.ID); err != nil {
			return err
		}
	}
	var elector leaderElector
	if id := r.cfg.LeaderElector; id != nil {
		ext, found := host.GetExtensions()[*id]
		if !found {
			return fmt.Errorf("k8s_leader_elector: extension %q is not configured; add it under extensions: and service::extensions", id)
		}
		if elector, _ = ext.(leaderElector); elector == nil {
			return fmt.Errorf("k8s_leader_elector: extension %q is not a leader elector (it has no SetCallBackFuncs)", id)
		}
	}
	r.host = host
	for _, p := range r.pollers {
		p.client, p.host = client, host
		p.store = newCheckpoints(r.storage, r.set.ID, r.cfg.AppID, p.spec.action, p.logger)
	}

	if elector == nil {
		r.startLocked(context.Background(), func(from []string) { r.logPlan("off", zap.Strings("from", from)) })
		return nil
	}
	r.logPlan(fmt.Sprintf("on, through %q: polls only while leading", r.cfg.LeaderElector))
	elector.SetCallBackFuncs(r.startedLeading, r.stoppedLeading)
	return nil
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

// startedLeading starts a fresh polling term from the checkpoint, which a storage shared
// between the replicas carries from the previous leader: its cursor and the calls it spent.
func (r *zegoReceiver) startedLeading(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutdown || r.stop != nil {
		return
	}
	r.startLocked(ctx, func(from []string) { r.logger.Info("Elected leader: polling starts", zap.Strings("from", from)) })
	r.reportLeading(true)
}

// stoppedLeading stops polling promptly (a call in flight is canceled; it stays in the
// ledger), saves the checkpoint for the next leader, and stands by.
func (r *zegoReceiver) stoppedLeading() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop == nil {
		return
	}
	r.stopLocked(context.Background())
	r.logger.Info("Lost leadership: polling stopped, checkpoint saved; standing by")
	r.reportLeading(false)
}

// startLocked loads each interface's checkpoint, announces where each resumes, and starts
// the loops. Call with r.mu held.
func (r *zegoReceiver) startLocked(parent context.Context, announce func(from []string)) {
	ctx, cancel := context.WithCancel(parent)
	r.stop = cancel
	var from []string
	for _, p := range r.pollers {
		from = append(from, fmt.Sprintf("%s from %s", p.spec.action, p.restore(ctx)))
	}
	announce(from)
	for _, p := range r.pollers {
		r.loops.Go(func() { p.run(ctx) })
	}
	r.leading.Store(true)
}

// stopLocked ends the loops and saves the checkpoints. Call with r.mu held.
func (r *zegoReceiver) stopLocked(ctx context.Context) {
	r.stop()
	r.stop = nil
	r.loops.Wait()
	for _, p := range r.pollers {
		p.save(ctx)
	}
	r.leading.Store(false)
}

func (r *zegoReceiver) reportLeading(leading bool) {
	attrs := pcommon.NewMap()
	attrs.PutBool("zego.leader", leading)
	componentstatus.ReportStatus(r.host, componentstatus.NewEvent(componentstatus.StatusOK, componentstatus.WithAttributes(attrs)))
}

// Shutdown stops polling, saves the checkpoints and closes the storage client. It is safe
// without Start.
func (r *zegoReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.tb.Shutdown()
	r.shutdown = true
	if r.stop != nil {
		r.stopLocked(ctx)
	}
	if r.storage != nil {
		return r.storage.Close(ctx)
	}
	return nil
}

// logPlan says, before any call, what the receiver is going to do.
func (r *zegoReceiver) logPlan(leaderElection string, more ...zap.Field) {
	var apis []string
	for _, p := range r.pollers {
		apis = append(apis, fmt.Sprintf("%s (%d metrics)", p.spec.action, len(p.metrics)))
	}
	storageName := "none: a restart fetches initial_lookback again and forgets the calls already made"
	if r.cfg.StorageID != nil {
		storageName = r.cfg.StorageID.String()
	}
	fields := []zap.Field{
		zap.String("endpoint", r.cfg.Endpoint),
		zap.Uint32("app_id", r.cfg.AppID),
		zap.String("apis", strings.Join(apis, ", ")),
		zap.String("collection_interval", fmt.Sprintf("%s: %d calls a day per interface, against a quota of %d a minute and %d a day",
			r.cfg.CollectionInterval, int64(day/r.cfg.CollectionInterval), r.cfg.Quota.PerMinute, r.cfg.Quota.PerDay)),
		zap.String("data_delay", r.cfg.DataDelay.String()),
		zap.String("storage", storageName),
		zap.String("leader_election", leaderElection),
	}
	r.logger.Info("Polling ZEGO's real-time monitoring", append(fields, more...)...)
}

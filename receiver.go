// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// zegoReceiver polls ZEGO on its own loops rather than through the Collector's scraper
// controller, because a cursor may only move once the pipeline has answered, and the
// controller ignores what the pipeline answers. It polls in terms: one from Start to Shutdown
// or, with k8s_leader_elector, one for each time this replica is elected.
type zegoReceiver struct {
	cfg       *Config
	set       receiver.Settings
	logger    *zap.Logger
	tb        *metadata.TelemetryBuilder
	pollers   []*poller
	health    health
	newClient clientFunc

	mu       sync.Mutex // serializes Start, Shutdown and the leadership callbacks
	storage  storage.Client
	shutdown bool
	term     atomic.Pointer[term] // the latest term, nil before the first and after Shutdown
	ended    *term                // the last term ended, which may still be making its last saves
}

func newZegoReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics, slots chan struct{}, newClient clientFunc) (*zegoReceiver, error) {
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
	r := &zegoReceiver{cfg: cfg, set: set, logger: logger, tb: tb, newClient: newClient}
	// The App ID on every instrument tells apart the receivers of one collector.
	appID := attribute.String("zego.app_id", strconv.FormatUint(uint64(cfg.AppID), 10))
	enabled := enabledMetrics(cfg.Metrics)
	for _, spec := range apiSpecs {
		if !spec.called(enabled) {
			continue
		}
		p := &poller{
			spec: spec, cfg: cfg, next: next, obsrecv: obsrecv, tb: tb,
			api:    metric.WithAttributeSet(attribute.NewSet(appID, attribute.String("api", spec.attr.String()))),
			logger: logger.With(zap.String("api", string(spec.action))),
			// A gauge point from ZEGO is an instant reading: no start timestamp.
			mb:    metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set, metadata.WithStartTime(0)),
			slots: slots, ledger: newQuotaLedger(cfg.Quota, cfg.Timeout), health: &r.health,
		}
		p.schedule = spec.schedule(cfg, enabled, p.logger)
		p.scale.logger = p.logger
		rb := p.mb.NewResourceBuilder()
		rb.SetZegoAppID(appID.Value.AsString())
		p.resource = rb.Emit()
		for _, name := range spec.metrics {
			p.metrics += int(btoi(enabled[name]))
		}
		for _, req := range p.schedule.requests {
			p.targets = append(p.targets, &target{request: req})
		}
		r.pollers = append(r.pollers, p)
	}
	return r, r.registerTelemetry(appID)
}

// registerTelemetry registers the gauges read when the Collector's telemetry is collected.
func (r *zegoReceiver) registerTelemetry(appID attribute.KeyValue) error {
	return errors.Join(
		r.tb.RegisterReceiverZegoCursorLagCallback(func(_ context.Context, o metric.Float64Observer) error {
			for _, p := range r.pollers {
				if lag, ok := p.cursorLag(); ok {
					o.Observe(lag.Seconds(), p.api)
				}
			}
			return nil
		}),
		r.tb.RegisterReceiverZegoQuotaRemainingCallback(func(_ context.Context, o metric.Int64Observer) error {
			for _, p := range r.pollers {
				o.Observe(int64(p.quotaLeft()), p.api)
			}
			return nil
		}),
		r.tb.RegisterReceiverZegoLeaderCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(btoi(r.term.Load().live()), metric.WithAttributes(appID))
			return nil
		}),
	)
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Start builds the client, opens the checkpoint storage, says what the receiver will do, and
// starts a polling term (or, with k8s_leader_elector, waits to be elected). It never calls
// ZEGO, and of the storage it waits only for the client to open (a file storage opens its
// file): a term reads its checkpoints before its first call.
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
	httpClient, err := r.newClient(ctx, host, r.cfg, r.set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	secret, err := newSecretSource(r.cfg, r.logger)
	if err != nil {
		return nil, err
	}
	client, err := zegoapi.NewClient(httpClient, zegoapi.Config{
		Endpoint: r.cfg.Endpoint, AppID: r.cfg.AppID, IsTest: r.cfg.IsTest,
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
	r.health.setHost(host)
	for _, p := range r.pollers {
		p.client, p.secret = client, secret
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

// Shutdown ends the term that runs, saves the checkpoints and closes the storage client. It is
// safe without Start.
func (r *zegoReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.tb.Shutdown()
	r.shutdown = true
	r.endLocked()
	r.ended.wait()
	if r.storage != nil {
		return r.storage.Close(ctx)
	}
	return nil
}

// logPlan says, before any call, what the receiver is going to do.
func (r *zegoReceiver) logPlan(leaderElection string) {
	var apis []string
	for _, p := range r.pollers {
		s := p.schedule
		what := fmt.Sprintf("%d metrics", p.metrics)
		if s.detail != "" {
			what += ", " + s.detail
		}
		calls := fmt.Sprintf("%d calls a day", int64(len(s.requests))*int64(day/s.interval))
		if s.timing.toNewest {
			calls = "at most " + calls + ", only while the newest point that can be published is missing"
		}
		apis = append(apis, fmt.Sprintf("%s (%s) every %v: %s", p.spec.action, what, s.interval, calls))
	}
	secretPlan := "server_secret, fixed until a restart"
	if r.cfg.ServerSecretFile != "" {
		secretPlan = "server_secret_file " + r.cfg.ServerSecretFile + ", read before each call"
	}
	storageName := "none: a restart fetches initial_lookback again and forgets the calls already made"
	if r.cfg.StorageID != nil {
		storageName = r.cfg.StorageID.String()
	}
	r.logger.Info("Polling ZEGO's analytics API",
		zap.String("endpoint", r.cfg.Endpoint),
		zap.Uint32("app_id", r.cfg.AppID),
		zap.String("apis", strings.Join(apis, "; ")),
		zap.String("quota", fmt.Sprintf("%d calls a minute and %d a day per interface, never exceeded", r.cfg.Quota.PerMinute, r.cfg.Quota.PerDay)),
		zap.String("data_delay", r.cfg.DataDelay.String()),
		zap.String("late_window", r.cfg.LateWindow.String()),
		zap.String("server_secret", secretPlan),
		zap.String("storage", storageName),
		zap.String("leader_election", leaderElection),
	)
}

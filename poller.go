package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// largeWindow: a window longer than this (a first start, a restart after an outage) is a
// backfill, which holds one of the factory's few backfill slots from the call until the
// pipeline has answered, so that many receivers catching up at once do not each hold a
// two-hour answer in memory at the same time. Steady polls never wait for a slot.
const largeWindow = 30 * time.Minute

// maxReadRetry bounds the wait between two attempts to read a checkpoint from a failing storage.
const maxReadRetry = 10 * time.Second

// poller polls one ZEGO interface on its own schedule, with its own cursor, quota ledger,
// backoff and checkpoint, so that a failure of one interface never holds another back.
type poller struct {
	spec     apiSpec
	metrics  []metricSpec // the enabled ones, in request order
	cfg      *Config
	client   *zegoapi.Client
	next     consumer.Metrics
	obsrecv  *receiverhelper.ObsReport
	tb       *metadata.TelemetryBuilder
	api      metric.MeasurementOption // the zego.app_id and api attributes
	logger   *zap.Logger
	mb       *metadata.MetricsBuilder
	resource pcommon.Resource
	slots    chan struct{}
	store    *checkpoints
	host     component.Host

	interval time.Duration
	// targets are what each poll calls for, one call each: GetRegionQualityDetail's platforms, or
	// one "" for the other interfaces.
	targets []string
	keep    func(name, iso string) bool // the regions region_quality::regions keeps

	mu      sync.Mutex // guards cursors and ledger, which telemetry callbacks read
	cursors []cursor   // one per target
	ledger  *quotaLedger

	// Touched only by the poll loop.
	backoff      backoff
	failures     causeLog
	refusals     causeLog
	warnedBadPts bool
	losing       bool // data aged out since the last delivery
	delivered    bool
}

// run polls at initial_delay and then every interval, on a fixed schedule: a slow poll delays
// the next tick but does not shift the ones after it.
func (p *poller) run(ctx context.Context) {
	next := time.Now().Add(p.cfg.InitialDelay)
	timer := time.NewTimer(p.cfg.InitialDelay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		for i := range p.targets {
			if ctx.Err() == nil {
				p.poll(ctx, i)
			}
		}
		next = nextTick(next, p.interval, time.Now())
		timer.Reset(time.Until(next))
	}
}

// nextTick is the first tick of the schedule last, last+interval, ... after now.
func nextTick(last time.Time, interval time.Duration, now time.Time) time.Time {
	if next := last.Add(interval); next.After(now) {
		return next
	}
	return last.Add((now.Sub(last)/interval + 1) * interval)
}

// poll makes at most one call for target i and hands what it returns to the pipeline as one
// batch.
func (p *poller) poll(ctx context.Context, i int) {
	now := time.Now()
	p.mu.Lock()
	w, lostMs := p.cursors[i].next(now, p.cfg.DataDelay, p.cfg.InitialLookback, p.spec.retention)
	quotaAllows := p.ledger.allow(now)
	p.mu.Unlock()
	if lostMs > 0 {
		p.tb.ReceiverZegoDataLost.Add(ctx, lostMs/1000, p.api)
		log := p.logger.Debug
		if !p.losing { // once an outage: the total is in otelcol_receiver_zego_data_lost
			p.losing, log = true, p.logger.Warn
		}
		log("Data aged out of ZEGO's retention before it could be fetched; it is lost",
			zap.Duration("retention", p.spec.retention), zap.Int64("lost_seconds", lostMs/1000),
			zap.Time("from", msTime(w.afterMs-lostMs)), zap.Time("to", msTime(w.afterMs)))
	}
	switch {
	case w.empty():
		return
	case !p.backoff.allows(now):
		p.skip(ctx, "backing off after an error", zap.Time("until", p.backoff.until))
		return
	case !quotaAllows:
		p.skip(ctx, "the quota allows no call now")
		return
	}
	if w.length() > largeWindow {
		select {
		case p.slots <- struct{}{}:
			defer func() { <-p.slots }()
		case <-ctx.Done():
			return
		}
	}

	// The call enters the ledger and the checkpoint before it is sent: ZEGO meters it on
	// arrival, and a crash mid-call must not hide it from the quota.
	p.mu.Lock()
	p.ledger.record(time.Now())
	p.mu.Unlock()
	p.save(ctx)
	if ctx.Err() != nil { // the term ended meanwhile: not a leader any more
		return
	}
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	// ZEGO does not say whether StartTs and EndTs are inclusive: [after, until+1] covers
	// (after, until] either way, and convert drops what lies outside.
	q := zegoapi.Query{Action: p.spec.action, StartMs: w.afterMs, EndMs: w.untilMs + 1}
	if platform := p.targets[i]; platform == "" {
		q.Metrics = apiNames(p.metrics)
	} else {
		q.Region, q.Platform = "all", platform
	}
	answer, err := p.client.Get(callCtx, q)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			p.failed(ctx, err)
		}
		return
	}
	p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(metadata.AttributeOutcomeSuccess))
	if p.failures.recovered() {
		p.logger.Info(string(p.spec.action) + " calls succeed again")
	}
	p.backoff = backoff{}
	componentstatus.ReportStatus(p.host, componentstatus.NewEvent(componentstatus.StatusOK))

	md, invalid, newestMs := p.convert(answer, w, p.targets[i])
	if invalid > 0 {
		p.tb.ReceiverZegoPointsInvalid.Add(ctx, int64(invalid), p.api)
		log := p.logger.Debug
		if !p.warnedBadPts { // once: the count is in otelcol_receiver_zego_points_invalid
			p.warnedBadPts, log = true, p.logger.Warn
		}
		log("Skipped points whose timestamp or value was unusable", zap.Int("points", invalid), zap.String("request_id", answer.RequestID))
	}
	if !p.deliver(ctx, md, w, newestMs) {
		return
	}
	p.mu.Lock()
	p.cursors[i].advance(w)
	p.mu.Unlock()
	p.losing = false
	p.save(ctx)
}

// deliver hands md to the pipeline and says whether the cursor may move past w: yes when the
// pipeline took it, or refused it for good (then it is dropped and counted); no when it may
// take it later (then the same window is asked for again).
func (p *poller) deliver(ctx context.Context, md pmetric.Metrics, w window, newestMs int64) bool {
	points := md.DataPointCount()
	if points == 0 { // an empty success moves the cursor too
		return true
	}
	obsCtx := p.obsrecv.StartMetricsOp(ctx)
	err := p.next.ConsumeMetrics(obsCtx, md)
	p.obsrecv.EndMetricsOp(obsCtx, metadata.Type.String(), points, err)
	fields := []zap.Field{zap.Int("points", points), zap.Time("window_start", msTime(w.afterMs)), zap.Time("window_end", msTime(w.untilMs)), zap.Error(err)}
	switch {
	case err == nil:
		p.tb.ReceiverZegoPointsEmitted.Add(ctx, int64(points), p.api)
		if !p.delivered {
			p.delivered = true
			p.logger.Info("First batch delivered; quiet from now on while healthy",
				zap.Int("points", points), zap.Time("newest", msTime(newestMs)))
		}
		return true
	case consumererror.IsPermanent(err):
		p.tb.ReceiverZegoPointsDropped.Add(ctx, int64(points), p.api)
		log := p.logger.Warn
		if !p.refusals.first(err.Error()) {
			log = p.logger.Debug
		}
		log("The pipeline refused the batch for good; it is dropped and polling goes on after it", fields...)
		return true
	case ctx.Err() == nil:
		p.logger.Warn("The pipeline did not accept the batch; the same window will be asked for again at the next poll", fields...)
	}
	return false
}

// convert turns an answer into one batch through the MetricsBuilder: per metric, the points
// inside w, each at its own time, in ascending order, a repeated timestamp once (the first
// one in answer order wins). It also returns how many points did not fit their metric, and
// the newest point's time. A platform's answer holds GetRegionQualityDetail's entries.
func (p *poller) convert(a *zegoapi.Answer, w window, platform string) (md pmetric.Metrics, invalid int, newestMs int64) {
	if platform != "" {
		invalid, newestMs = recordRegions(p.mb, a, w, platform, p.keep)
		return p.mb.Emit(metadata.WithResource(p.resource)), invalid, newestMs
	}
	invalid = a.Invalid
	for _, m := range p.metrics {
		var pts []zegoapi.Point
		for _, s := range a.Series {
			if s.Metric != m.api {
				continue
			}
			for _, pt := range s.Points {
				if pt.TimestampMs > w.afterMs && pt.TimestampMs <= w.untilMs {
					pts = append(pts, pt)
				}
			}
		}
		slices.SortStableFunc(pts, func(a, b zegoapi.Point) int { return cmp.Compare(a.TimestampMs, b.TimestampMs) })
		for i, pt := range pts {
			if i > 0 && pt.TimestampMs == pts[i-1].TimestampMs {
				continue
			}
			if m.record(p.mb, pcommon.Timestamp(pt.TimestampMs*int64(time.Millisecond)), pt.Value) {
				newestMs = max(newestMs, pt.TimestampMs)
			} else {
				invalid++
			}
		}
	}
	return p.mb.Emit(metadata.WithResource(p.resource)), invalid, newestMs
}

// failed applies the error class's backoff, counts the call and logs each distinct cause once.
func (p *poller) failed(ctx context.Context, err error) {
	kind, _ := zegoapi.KindOf(err) // not an APIError: transient
	p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(outcomeOf[kind]))
	wait := p.backoff.failure(kind, time.Now())
	componentstatus.ReportStatus(p.host, componentstatus.NewRecoverableErrorEvent(err))

	fields := []zap.Field{zap.String("error", err.Error()), zap.String("error_class", kind.String())}
	var apiErr *zegoapi.APIError
	cause := kind.String()
	if errors.As(err, &apiErr) {
		cause = fmt.Sprintf("%s/%d/%d", kind, apiErr.Code, apiErr.HTTPStatus)
		if apiErr.Code != 0 {
			fields = append(fields, zap.Int64("code", apiErr.Code))
		}
		if apiErr.Check != "" {
			fields = append(fields, zap.String("check", apiErr.Check))
		}
	}
	if wait > 0 {
		fields = append(fields, zap.String("next_call_in_at_least", wait.String()))
	}
	msg := string(p.spec.action) + " failed"
	switch {
	case !p.failures.first(cause):
		p.logger.Debug(msg+" again", fields...)
	case kind == zegoapi.KindTransient:
		p.logger.Warn(msg+"; the next poll asks again for the whole window", fields...)
	default:
		p.logger.Error(msg+"; calls back off until something changes", fields...)
	}
}

func (p *poller) skip(ctx context.Context, why string, fields ...zap.Field) {
	p.tb.ReceiverZegoPollsSkipped.Add(ctx, 1, p.api)
	p.logger.Debug("Poll skipped: "+why+"; the next poll's window covers it", fields...)
}

// restore reads the checkpoint, retrying while the storage fails: no call and no save may
// come before it is read, or this replica could overwrite what another leader saved. It says
// where polling resumes; false when ctx ended first.
func (p *poller) restore(ctx context.Context) (string, bool) {
	cp, found, err := p.store.load(ctx)
	for wait := time.Second; err != nil; wait = min(2*wait, maxReadRetry) {
		log := p.logger.Debug
		if wait == time.Second { // once a term
			log = p.logger.Warn
		}
		log("Could not read the checkpoint; no call and no save until it can be read",
			zap.Error(err), zap.Duration("retry_in", wait))
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(wait):
		}
		cp, found, err = p.store.load(ctx)
	}
	if ctx.Err() != nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var where []string
	for i, target := range p.targets {
		c := &p.cursors[i]
		if found {
			c.restore(cp.cursorOf(target))
		}
		var from string
		switch {
		case c.acknowledged && found:
			from = "checkpoint at " + msTime(c.afterMs).Format(time.RFC3339)
		case c.acknowledged:
			from = "this receiver's own cursor at " + msTime(c.afterMs).Format(time.RFC3339)
		default:
			from = fmt.Sprintf("initial_lookback: %s before now - data_delay", p.cfg.InitialLookback)
		}
		where = append(where, strings.TrimPrefix(target+": "+from, ": "))
	}
	if found {
		p.ledger.restore(cp.CallsMs, time.Now())
	}
	return strings.Join(where, ", "), true
}

// save checkpoints the acknowledged cursor and every call sent, unless the term is over.
func (p *poller) save(ctx context.Context) {
	p.mu.Lock()
	cp := checkpoint{CallsMs: p.ledger.snapshot(time.Now())}
	for i, target := range p.targets {
		cp.setCursor(target, p.cursors[i].saved())
	}
	p.mu.Unlock()
	p.store.save(ctx, cp)
}

// cursorLag is how old the oldest cursor is; false before one is set.
func (p *poller) cursorLag() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	oldest := int64(math.MaxInt64)
	for _, c := range p.cursors {
		if c.afterMs != 0 {
			oldest = min(oldest, c.afterMs)
		}
	}
	return time.Since(msTime(oldest)), oldest != math.MaxInt64
}

func (p *poller) quotaLeft() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ledger.remainingToday(time.Now())
}

// causeLog remembers the last cause logged, so each distinct cause is logged once.
type causeLog struct{ last string }

func (c *causeLog) first(cause string) bool {
	if cause == c.last {
		return false
	}
	c.last = cause
	return true
}

// recovered reports whether a cause was logged since the last success, and forgets it.
func (c *causeLog) recovered() bool {
	had := c.last != ""
	c.last = ""
	return had
}

var outcomeOf = map[zegoapi.ErrorKind]metadata.AttributeOutcome{
	zegoapi.KindTransient:      metadata.AttributeOutcomeTransient,
	zegoapi.KindRateLimited:    metadata.AttributeOutcomeRateLimited,
	zegoapi.KindPermanent:      metadata.AttributeOutcomePermanent,
	zegoapi.KindBadCredentials: metadata.AttributeOutcomeBadCredentials,
	zegoapi.KindClockSkew:      metadata.AttributeOutcomeClockSkew,
}

func outcome(o metadata.AttributeOutcome) metric.AddOption {
	return metric.WithAttributes(attribute.String("outcome", o.String()))
}

func apiNames(ms []metricSpec) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.api
	}
	return names
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

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

// largeWindow: a call asking for more than this, late window included, holds one of the
// factory's few backfill slots from the call until the pipeline has answered, so that many
// receivers do not each hold an answer of up to two hours in memory at the same time. That is a
// backfill (a first start, a restart after an outage), and also every steady poll once
// late_window is above largeWindow less collection_interval (27m at the defaults): its answer is
// as large as a backfill's. Steady polls at the default late_window never wait for a slot.
const largeWindow = 30 * time.Minute

// maxReadRetry bounds the wait between two attempts to read a checkpoint from a failing storage.
const maxReadRetry = 10 * time.Second

// poller polls one ZEGO interface on its own schedule, with its own quota ledger, backoff and
// checkpoint, and a cursor for each request, so that a failure of one interface never holds
// another back. It drives every request alike.
type poller struct {
	spec     apiSpec
	schedule schedule
	metrics  int // how many of its metrics are enabled
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
	health   *health // the receiver's, shared by its pollers
	secret   *secretSource

	mu      sync.Mutex // guards the targets' cursors and the ledger, which telemetry callbacks read
	targets []*target  // one per request, in schedule order
	ledger  *quotaLedger

	// Touched only by the poll loop.
	backoff       backoff
	failures      causeLog
	refusals      causeLog
	warnedBadPts  bool
	warnedRevised bool
	losing        bool      // data aged out since the last delivery
	lastLate      time.Time // when late points last came
	delivered     bool
	signedGen     uint64 // the ServerSecret's generation when the last call was signed
	scale         scaleCheck
}

// target is a request and where its next window starts.
type target struct {
	request
	cursor cursor
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
		for _, t := range p.targets {
			if ctx.Err() == nil {
				p.poll(ctx, t)
			}
		}
		next = nextTick(next, p.schedule.interval, time.Now())
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

// poll makes at most one call for t and hands what it returns to the pipeline as one batch.
func (p *poller) poll(ctx context.Context, t *target) {
	w, due := p.window(ctx, t)
	if !due {
		return
	}
	if tm := p.schedule.timing; tm.backfill > 0 && w.length() > tm.backfill {
		select {
		case p.slots <- struct{}{}:
			defer func() { <-p.slots }()
		case <-ctx.Done():
			return
		}
	}
	answer, err := p.call(ctx, t, w)
	if kind, _ := zegoapi.KindOf(err); p.rotated(kind) {
		p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(kind.String())) // the refused call
		answer, err = p.call(ctx, t, w)
	}
	if err != nil {
		if ctx.Err() == nil && !p.planRefused(ctx, t, w, err) {
			p.failed(ctx, err)
		}
		return
	}
	p.succeeded(ctx)
	md, invalid, times := p.collect(t, answer, w.contains)
	isLate := func(ms int64) bool { return w.behind(ms) && !t.cursor.wasDelivered(ms) }
	late, lateInvalid, lateTimes := p.collect(t, answer, isLate)
	p.countInvalid(ctx, invalid+lateInvalid+answer.Invalid, answer.RequestID)
	rv, revisable := t.request.(revisable)
	if revisable {
		p.countRevised(ctx, t, rv.values(answer, func(ms int64) bool { return w.behind(ms) && t.cursor.wasDelivered(ms) }))
	}
	p.scale.check(md)
	if !p.deliver(ctx, md, w, times) {
		return
	}
	p.mu.Lock()
	t.cursor.advance(w, times, p.schedule.timing.toNewest)
	if revisable {
		t.cursor.remember(rv.values(answer, w.contains))
	}
	p.mu.Unlock()
	p.losing = false
	if p.deliverLate(ctx, late, w, lateTimes) {
		p.mu.Lock()
		t.cursor.deliveredLate(lateTimes)
		if revisable {
			t.cursor.remember(rv.values(answer, isLate))
		}
		p.mu.Unlock()
	}
	p.save(ctx)
}

// A revisable request's points may be reported again with other values after they were
// delivered (a day of ZEGO's operations data): the poller keeps what it delivered within the
// late window, counts the revisions it sees there and leaves the delivered values standing.
type revisable interface {
	request
	// values are the values of a at the times take accepts, by time and series (the first in
	// answer order wins, as in record).
	values(a *zegoapi.Answer, take func(ms int64) bool) map[int64]map[string]float64
}

// countRevised counts the values re-read behind t's cursor that differ from those delivered,
// and warns about the first such revision.
func (p *poller) countRevised(ctx context.Context, t *target, values map[int64]map[string]float64) {
	p.mu.Lock()
	n, first := t.cursor.revised(values)
	p.mu.Unlock()
	if n == 0 {
		return
	}
	p.tb.ReceiverZegoPointsRevised.Add(ctx, int64(n), p.api)
	p.warnOnce(&p.warnedRevised)("ZEGO reported delivered points again with other values; the values delivered first stand and the new ones are not sent",
		zap.Int("points", n), zap.String("first", first))
}

// planRefused handles ZEGO's refusal (code 10002) of a range longer than the next smaller plan
// of t's interface keeps: the App's plan keeps less. The interface falls back to that plan's
// retention from the next poll on, without a backoff; what lies beyond it is lost.
func (p *poller) planRefused(ctx context.Context, t *target, w window, err error) bool {
	var apiErr *zegoapi.APIError
	tm := &p.schedule.timing
	if !errors.As(err, &apiErr) || apiErr.Code != zegoapi.CodeBadValue || len(tm.plans) == 0 || w.length() <= tm.plans[0] {
		return false
	}
	p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(apiErr.Kind.String()))
	now := time.Now()
	p.mu.Lock() // cursorLag reads the timing
	was := tm.retention
	tm.retention, tm.plans = tm.plans[0], tm.plans[1:]
	if !t.cursor.acknowledged { // acknowledged data that ages out is counted by window
		if lostMs := now.Add(-tm.retention+retentionMargin).UnixMilli() - t.cursor.afterMs; lostMs > 0 {
			p.tb.ReceiverZegoDataLost.Add(ctx, lostMs/1000, p.api)
		}
	}
	p.mu.Unlock()
	days := int(tm.retention / day)
	p.logger.Warn(fmt.Sprintf("ZEGO refused a range of %v: the App's plan keeps less than %v; asking for the %d days a smaller plan keeps from the next poll on; set %s to %d or less to ask for that from the start",
		w.length(), was, days, tm.lookbackKey, days), zap.Int64("code", apiErr.Code), zap.String("message", apiErr.Message))
	return true
}

// window is t's next window, and whether a call for it is due now: it is not when it is empty,
// during a backoff, or when the quota allows no call. What aged out of the retention since the
// last poll is counted.
func (p *poller) window(ctx context.Context, t *target) (window, bool) {
	now := time.Now()
	p.mu.Lock()
	w, lostMs := t.cursor.next(now, p.schedule.timing)
	quotaAllows := p.ledger.allow(now)
	p.mu.Unlock()
	if lostMs > 0 {
		p.tb.ReceiverZegoDataLost.Add(ctx, lostMs/1000, p.api)
		p.warnOnce(&p.losing)("Data aged out of ZEGO's retention before it could be fetched; it is lost",
			zap.Duration("retention", p.schedule.timing.retention), zap.Int64("lost_seconds", lostMs/1000),
			zap.Time("from", msTime(w.afterMs-lostMs)), zap.Time("to", msTime(w.afterMs)))
	}
	switch {
	case w.empty():
		return w, false
	case !p.backoff.allows(now) && !p.rotated(p.backoff.lastKind):
		p.skip(ctx, "backing off after an error", zap.Time("until", p.backoff.until))
		return w, false
	case !quotaAllows:
		p.skip(ctx, "the quota allows no call now")
		return w, false
	}
	return w, true
}

// call asks ZEGO for w. The call enters the ledger and the checkpoint before it is sent: ZEGO
// meters it on arrival, and a crash mid-call must not hide it from the quota.
func (p *poller) call(ctx context.Context, t *target, w window) (*zegoapi.Answer, error) {
	p.mu.Lock()
	p.ledger.record(time.Now())
	p.mu.Unlock()
	p.save(ctx)
	if ctx.Err() != nil { // the term ended meanwhile: not a leader any more
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	// One read: the generation remembered is the one of the secret the call is signed with.
	secret, gen := p.secret.current()
	p.signedGen = gen
	// ZEGO does not say whether StartTs and EndTs are inclusive: the queries ask for
	// [late, until+1], which covers (late, until] either way, and collect drops what lies outside.
	return p.client.Get(ctx, secret, t.query(w.lateMs, w.untilMs))
}

func (p *poller) succeeded(ctx context.Context) {
	p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(metadata.AttributeOutcomeSuccess.String()))
	if p.failures.recovered() {
		p.logger.Info(string(p.spec.action) + " calls succeed again")
	}
	p.backoff = backoff{}
	p.health.succeeded(p.spec.action)
}

// collect turns the points of a at the times take accepts into one batch, and says how many
// did not fit their metric and at which times, ascending, points were taken.
func (p *poller) collect(t *target, a *zegoapi.Answer, take func(ms int64) bool) (md pmetric.Metrics, invalid int, times []int64) {
	taken := map[int64]bool{}
	invalid = t.record(p.mb, a, func(ms int64) bool {
		ok := take(ms)
		taken[ms] = taken[ms] || ok
		return ok
	})
	for ms, ok := range taken {
		if ok {
			times = append(times, ms)
		}
	}
	slices.Sort(times)
	return p.mb.Emit(metadata.WithResource(p.resource)), invalid, times
}

// deliverLate hands over the points found behind the cursor, at times, as a batch of their
// own, so that a backend refusing samples older than those it has refuses only these. It says
// whether they are done with.
func (p *poller) deliverLate(ctx context.Context, md pmetric.Metrics, w window, times []int64) bool {
	points := md.DataPointCount()
	if points == 0 || !p.deliver(ctx, md, w, times) {
		return points == 0
	}
	p.tb.ReceiverZegoPointsLate.Add(ctx, int64(points), p.api)
	log := p.logger.Debug
	// Once an episode, which ends when no point came late for a late window: the count is in
	// otelcol_receiver_zego_points_late.
	if p.lastLate.IsZero() || time.Since(p.lastLate) > p.schedule.timing.lateWindow {
		log = p.logger.Warn
	}
	p.lastLate = time.Now()
	age := time.Since(msTime(times[0])).Round(time.Second)
	log("ZEGO published points later than data_delay; they were delivered late, each once",
		zap.Int("points", points), zap.Time("oldest", msTime(times[0])),
		zap.String("late_by_at_most", (age-p.cfg.DataDelay).String()), zap.String("data_delay_that_would_have_caught_them", age.String()))
	return true
}

// warnOnce is Warn the first time *warned is false, which it then sets, and Debug after: what
// repeats is in the receiver's telemetry (points invalid, points revised, data lost).
func (p *poller) warnOnce(warned *bool) func(string, ...zap.Field) {
	if *warned {
		return p.logger.Debug
	}
	*warned = true
	return p.logger.Warn
}

func (p *poller) countInvalid(ctx context.Context, invalid int, requestID string) {
	if invalid == 0 {
		return
	}
	p.tb.ReceiverZegoPointsInvalid.Add(ctx, int64(invalid), p.api)
	p.warnOnce(&p.warnedBadPts)("Skipped points whose timestamp or value was unusable", zap.Int("points", invalid), zap.String("request_id", requestID))
}

// deliver hands md, its points at times, to the pipeline and says whether the cursor may move
// past w: yes when the pipeline took it, or refused it for good (then it is dropped and
// counted); no when it may take it later (then the same window is asked for again).
func (p *poller) deliver(ctx context.Context, md pmetric.Metrics, w window, times []int64) bool {
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
			p.logger.Info("First batch delivered; quiet from now on while healthy", zap.Int("points", points), zap.Time("newest", msTime(times[len(times)-1])))
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

// failed applies the error class's backoff, counts the call and logs each distinct cause once.
func (p *poller) failed(ctx context.Context, err error) {
	kind, _ := zegoapi.KindOf(err) // not an APIError: transient
	p.tb.ReceiverZegoAPICalls.Add(ctx, 1, p.api, outcome(kind.String()))
	wait := p.backoff.failure(kind, time.Now())

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
	p.health.failed(p.spec.action, err, cause)
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

// restore reads the checkpoint and says where each request resumes; false when ctx ended first.
func (p *poller) restore(ctx context.Context) ([]string, bool) {
	cp, found, ok := p.load(ctx)
	if !ok {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var where []string
	for _, t := range p.targets {
		c := &t.cursor
		if found {
			c.restore(cp.Cursors[t.name()])
		}
		from := p.schedule.timing.lookbackFrom
		switch {
		case c.acknowledged && found:
			from = "checkpoint at " + msTime(c.afterMs).Format(time.RFC3339)
		case c.acknowledged:
			from = "this receiver's own cursor at " + msTime(c.afterMs).Format(time.RFC3339)
		}
		where = append(where, t.name()+" from "+from)
	}
	if found {
		p.ledger.restore(cp.CallsMs, time.Now())
	}
	return where, true
}

// load reads the checkpoint, retrying while the storage fails: no call and no save may come
// before it is read, or this replica could overwrite what another leader saved. ok is false
// when ctx ended first.
func (p *poller) load(ctx context.Context) (cp checkpoint, found, ok bool) {
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
			return cp, false, false
		case <-time.After(wait):
		}
		cp, found, err = p.store.load(ctx)
	}
	return cp, found, ctx.Err() == nil
}

// save checkpoints the acknowledged cursors and every call sent, unless the term is over.
func (p *poller) save(ctx context.Context) {
	p.mu.Lock()
	cp := checkpoint{CallsMs: p.ledger.snapshot(time.Now()), Cursors: map[string]savedCursor{}}
	for _, t := range p.targets {
		if c := t.cursor.saved(); c.AfterMs != 0 {
			cp.Cursors[t.name()] = c
		}
	}
	p.mu.Unlock()
	p.store.save(ctx, cp)
}

// cursorLag is how far the oldest cursor is behind the newest point that can be had now;
// false before one is set.
func (p *poller) cursorLag() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	oldest := int64(math.MaxInt64)
	for _, t := range p.targets {
		if t.cursor.afterMs != 0 {
			oldest = min(oldest, t.cursor.afterMs)
		}
	}
	return p.schedule.timing.lag(time.Now(), oldest), oldest != math.MaxInt64
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

// outcome is the outcome attribute of a call: success, or the failure's zegoapi.ErrorKind.
func outcome(o string) metric.AddOption {
	return metric.WithAttributes(attribute.String("outcome", o))
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

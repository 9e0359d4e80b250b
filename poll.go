package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// retentionMargin keeps the oldest instant we ask for a little inside ZEGO's
// two hours, so that the server, whose clock runs a little behind or ahead,
// has not dropped it by the time the call arrives. Data in that margin is
// counted as lost rather than silently missed.
const retentionMargin = time.Minute

// pollOutcome says what one poll did; tests read it, the loop ignores it.
type pollOutcome int

const (
	pollNothingNew pollOutcome = iota // the window was empty: no call
	pollBackingOff                    // a backoff after an error: no call
	pollQuotaFull                     // the quota ledger allowed no call
	pollAPIError                      // the call failed; the cursor stays
	pollRefused                       // the pipeline refused the data; the cursor stays
	pollDelivered                     // data (or an empty success) accepted; the cursor moved
	pollCancelled                     // shutdown interrupted the call
)

// window is the range of point timestamps one poll asks for: (afterMs, untilMs].
type window struct{ afterMs, untilMs int64 }

// Backfills, windows longer than largeWindow, hold one of a few process-wide
// slots from the call until the pipeline has answered, so that many
// receivers catching up at once (a first start, a restart after an outage)
// do not each hold a two-hour answer in memory at the same time. Steady
// polls never wait for a slot.
const largeWindow = 30 * time.Minute

var backfillSlots = make(chan struct{}, 4)

// poll makes at most one API call, delivers what it returns as one batch,
// and moves the cursor only when the pipeline accepted that batch.
func (r *zegoReceiver) poll(ctx context.Context) pollOutcome {
	w, outcome, ok := r.prepare(ctx, r.now())
	if !ok {
		return outcome
	}
	if w.untilMs-w.afterMs > largeWindow.Milliseconds() {
		select {
		case backfillSlots <- struct{}{}:
			defer func() { <-backfillSlots }()
		case <-ctx.Done():
			return pollCancelled
		}
	}
	r.recordCall(ctx)

	callCtx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	answer := &r.answer
	defer r.releaseLargeBuffers() // also after an error, which may leave a partial answer
	err := r.api.GetRealtimeUsageInto(callCtx, zegoapi.Query{
		Metrics: r.apiNames,
		// ZEGO does not say whether StartTs and EndTs are inclusive: asking for
		// [after, until+1] covers (after, until] either way, and points outside
		// it are dropped below.
		StartMs: w.afterMs,
		EndMs:   w.untilMs + 1,
	}, answer)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return pollCancelled
		}
		r.callFailed(ctx, err)
		return pollAPIError
	}
	r.telemetry.ReceiverZegoAPICalls.Add(ctx, 1, outcomeAttr(metadata.AttributeOutcomeSuccess))
	if answer.InvalidValues > 0 {
		r.telemetry.ReceiverZegoPointsInvalid.Add(ctx, int64(answer.InvalidValues))
		log := r.logger.Debug
		if !r.invalidLogged { // once: the count is in otelcol_receiver_zego_points_invalid
			r.invalidLogged, log = true, r.logger.Warn
		}
		log("Skipped points whose value was not a finite integer",
			zap.Int("points", answer.InvalidValues), zap.String("request_id", answer.RequestID))
	}

	md, points := r.convert(answer, w)
	if points > 0 { // an empty success has nothing to hand over, but still moves the cursor
		obsCtx := r.obsrecv.StartMetricsOp(ctx)
		err = r.next.ConsumeMetrics(obsCtx, md)
		r.obsrecv.EndMetricsOp(obsCtx, metadata.Type.String(), points, err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.logger.Warn("The pipeline did not accept the data; the same window will be asked for again at the next poll",
			zap.Error(err), zap.Int("points", points), zap.Time("window_start", msTime(w.afterMs)), zap.Time("window_end", msTime(w.untilMs)))
		return pollRefused
	}
	r.state.cursorMs = w.untilMs
	r.state.acknowledged = true
	r.state.backoff.success()
	r.telemetry.ReceiverZegoPointsEmitted.Add(ctx, int64(points))
	if r.errLog.recovered() {
		r.logger.Info("GetRealtimeUsage calls succeed again")
	}
	componentstatus.ReportStatus(r.host, componentstatus.NewEvent(componentstatus.StatusOK))
	r.saveCheckpoint(ctx)
	return pollDelivered
}

// prepare works out the window and whether a call may be sent now.
func (r *zegoReceiver) prepare(ctx context.Context, now time.Time) (window, pollOutcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.state
	untilMs := now.Add(-r.cfg.DataDelay).UnixMilli()
	if s.cursorMs == 0 {
		s.cursorMs = untilMs - r.cfg.InitialLookback.Milliseconds()
	}
	if oldest := now.Add(-retention + retentionMargin).UnixMilli(); s.cursorMs < oldest {
		if s.acknowledged {
			lostSeconds := (oldest - s.cursorMs) / 1000
			r.telemetry.ReceiverZegoDataLost.Add(ctx, lostSeconds)
			r.logger.Warn("Data aged out of ZEGO's two-hour retention before it could be fetched; it is lost",
				zap.Int64("lost_seconds", lostSeconds), zap.Time("from", msTime(s.cursorMs)), zap.Time("to", msTime(oldest)))
		}
		s.cursorMs = oldest
	}
	w := window{afterMs: s.cursorMs, untilMs: untilMs}
	switch {
	case w.untilMs <= w.afterMs:
		return w, pollNothingNew, false
	case !s.backoff.allows(now):
		r.skip(ctx, "backing off after an error", zap.Time("until", s.backoff.until))
		return w, pollBackingOff, false
	case !s.ledger.allow(now):
		r.skip(ctx, "the quota allows no call now", zap.Int("per_minute", r.cfg.Quota.PerMinute), zap.Int("per_day", r.cfg.Quota.PerDay))
		return w, pollQuotaFull, false
	}
	return w, 0, true
}

// recordCall enters the call about to be sent in the quota ledger and the
// checkpoint, so that even a crash mid-call cannot hide it from the quota.
// The ledger only grows here, on this goroutine, and a later time only
// frees the quota, so what prepare allowed is still allowed.
func (r *zegoReceiver) recordCall(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.ledger.record(r.now())
	r.saveCheckpoint(ctx)
}

func (r *zegoReceiver) skip(ctx context.Context, why string, fields ...zap.Field) {
	r.telemetry.ReceiverZegoPollsSkipped.Add(ctx, 1)
	r.logger.Debug("Poll skipped: "+why+"; the next poll's window covers it", fields...)
}

// callFailed applies the error class's backoff, counts the call and logs the
// cause once (repeats of the same cause go to debug).
func (r *zegoReceiver) callFailed(ctx context.Context, err error) {
	kind, ok := zegoapi.KindOf(err)
	if !ok {
		kind = zegoapi.KindTransient
	}
	r.telemetry.ReceiverZegoAPICalls.Add(ctx, 1, outcomeAttr(outcomeOf(kind)))

	r.mu.Lock()
	defer r.mu.Unlock()
	wait := r.state.backoff.failure(kind, r.now())
	componentstatus.ReportStatus(r.host, componentstatus.NewRecoverableErrorEvent(err))
	fields := []zap.Field{zap.Error(err), zap.String("error_class", kind.String())}
	if hint := fixFor(kind, r.cfg); hint != "" {
		fields = append(fields, zap.String("fix", hint))
	}
	if wait > 0 {
		fields = append(fields, zap.Duration("next_call_in_at_least", wait))
	}
	switch {
	case !r.errLog.first(causeOf(err, kind)):
		r.logger.Debug("GetRealtimeUsage failed again", fields...)
	case kind == zegoapi.KindTransient:
		r.logger.Warn("GetRealtimeUsage failed; will try again at the next poll, the window is kept", fields...)
	default:
		r.logger.Error("GetRealtimeUsage failed", fields...)
	}
}

func fixFor(kind zegoapi.ErrorKind, cfg *Config) string {
	switch kind {
	case zegoapi.KindBadCredentials:
		return "check app_id and server_secret: they must be the pair shown in the ZEGO console"
	case zegoapi.KindClockSkew:
		return "the local clock is more than 10 minutes off ZEGO's; synchronise it (NTP)"
	case zegoapi.KindRateLimited:
		return fmt.Sprintf("another caller shares this AppID's quota; lower quota.per_minute (%d) or quota.per_day (%d) to leave it headroom", cfg.Quota.PerMinute, cfg.Quota.PerDay)
	case zegoapi.KindPermanent:
		return "ZEGO rejected the request's parameters; check endpoint, is_test and the enabled metrics"
	}
	return ""
}

func outcomeOf(kind zegoapi.ErrorKind) metadata.AttributeOutcome {
	switch kind {
	case zegoapi.KindRateLimited:
		return metadata.AttributeOutcomeRateLimited
	case zegoapi.KindPermanent:
		return metadata.AttributeOutcomePermanent
	case zegoapi.KindBadCredentials:
		return metadata.AttributeOutcomeBadCredentials
	case zegoapi.KindClockSkew:
		return metadata.AttributeOutcomeClockSkew
	}
	return metadata.AttributeOutcomeTransient
}

func outcomeAttr(o metadata.AttributeOutcome) metric.AddOption {
	return metric.WithAttributes(attribute.String("outcome", o.String()))
}

// causeOf identifies an error's cause without what varies from call to call
// (request ids, timings), so a cause is logged once however often it repeats.
func causeOf(err error, kind zegoapi.ErrorKind) string {
	var apiErr *zegoapi.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%s/%d/%d", kind, apiErr.Code, apiErr.HTTPStatus)
	}
	return kind.String()
}

// errorLog remembers the last cause logged, so each distinct cause is logged once.
type errorLog struct{ last string }

func (e *errorLog) first(cause string) bool {
	if cause == e.last {
		return false
	}
	e.last = cause
	return true
}

// recovered reports whether errors were logged since the last success, and forgets them.
func (e *errorLog) recovered() bool {
	had := e.last != ""
	e.last = ""
	return had
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"slices"
	"time"
)

// retentionMargin keeps the oldest instant asked for a minute inside ZEGO's retention, so that
// a server whose clock runs a little ahead has not dropped it when the call arrives.
const retentionMargin = time.Minute

// window is what one poll asks for: the points of (lateMs, untilMs]. Those of (afterMs,
// untilMs] are new; those of (lateMs, afterMs] that were never delivered are late.
type window struct{ lateMs, afterMs, untilMs int64 }

func (w window) empty() bool { return w.untilMs <= w.afterMs }

// length is how much the call asks for.
func (w window) length() time.Duration { return time.Duration(w.untilMs-w.lateMs) * time.Millisecond }

// contains reports whether a point at ms is new.
func (w window) contains(ms int64) bool { return ms > w.afterMs && ms <= w.untilMs }

// behind reports whether a point at ms lies behind the cursor, within the late window.
func (w window) behind(ms int64) bool { return ms > w.lateMs && ms <= w.afterMs }

// cursor is where a request's next window starts, and what was delivered behind it, so that a
// point published late is delivered once. Every move it makes is in this file.
type cursor struct {
	afterMs int64 // exclusive; 0 until the first window or a checkpoint sets it
	// acknowledged is true once afterMs marks data the pipeline took (or refused for good), or a
	// checkpoint restored it; before that it only marks the initial lookback.
	acknowledged bool
	// delivered are the times of the points delivered in (knownFromMs, afterMs], ascending;
	// nothing is known before knownFromMs, so nothing there is taken for late.
	knownFromMs int64
	delivered   []int64
}

// next is the window to ask for at now: from the cursor (or, the very first time, from
// initialLookback before the newest published point) to now - dataDelay, and lateWindow
// further back for late points. A cursor older than ZEGO's retention is clamped; lostMs is
// what aged out of acknowledged data. What lies behind the late window is forgotten.
func (c *cursor) next(now time.Time, dataDelay, initialLookback, retention, lateWindow time.Duration) (w window, lostMs int64) {
	untilMs := now.Add(-dataDelay).UnixMilli()
	if c.afterMs == 0 {
		c.afterMs = untilMs - initialLookback.Milliseconds()
		c.knownFromMs = c.afterMs
	}
	oldest := now.Add(-retention + retentionMargin).UnixMilli()
	if c.afterMs < oldest {
		if c.acknowledged {
			lostMs = oldest - c.afterMs
		}
		c.afterMs = oldest
	}
	c.knownFromMs = max(c.knownFromMs, c.afterMs-lateWindow.Milliseconds(), oldest)
	c.delivered = slices.DeleteFunc(c.delivered, func(ms int64) bool { return ms <= c.knownFromMs })
	return window{lateMs: min(c.knownFromMs, c.afterMs), afterMs: c.afterMs, untilMs: untilMs}, lostMs
}

// advance moves past w once the pipeline took its new points, at times (ascending), or
// refused them for good.
func (c *cursor) advance(w window, times []int64) {
	c.afterMs, c.acknowledged = w.untilMs, true
	c.delivered = append(c.delivered, times...)
}

// wasDelivered reports whether a point at ms was delivered.
func (c *cursor) wasDelivered(ms int64) bool {
	_, found := slices.BinarySearch(c.delivered, ms)
	return found
}

// deliveredLate records late points, at times, as delivered.
func (c *cursor) deliveredLate(times []int64) {
	c.delivered = append(c.delivered, times...)
	slices.Sort(c.delivered)
}

// savedCursor is a cursor as a checkpoint keeps it: AfterMs 0 until something was
// acknowledged, so that a restart before any delivery starts from initial_lookback again.
// DeliveredMs holds the first time delivered after KnownFromMs, then the step to each next one:
// at one point a second, a 10-minute late window keeps about 600 steps of "1000," (3 KB).
type savedCursor struct {
	AfterMs     int64   `json:"after_ms"`
	KnownFromMs int64   `json:"known_from_ms,omitempty"`
	DeliveredMs []int64 `json:"delivered_ms,omitempty"`
}

func (c *cursor) saved() savedCursor {
	if !c.acknowledged {
		return savedCursor{}
	}
	s := savedCursor{AfterMs: c.afterMs, KnownFromMs: c.knownFromMs}
	last := int64(0)
	for _, ms := range c.delivered {
		s.DeliveredMs, last = append(s.DeliveredMs, ms-last), ms
	}
	return s
}

// restore sets the cursor from a checkpoint. Without KnownFromMs, nothing behind the cursor is
// known.
func (c *cursor) restore(s savedCursor) {
	c.afterMs, c.acknowledged, c.delivered = s.AfterMs, s.AfterMs != 0, nil
	c.knownFromMs = s.KnownFromMs
	if c.knownFromMs == 0 {
		c.knownFromMs = s.AfterMs
	}
	last := int64(0)
	for _, step := range s.DeliveredMs {
		last += step
		c.delivered = append(c.delivered, last)
	}
}

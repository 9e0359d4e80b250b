// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
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
	// values are the values delivered at each of those times, by series, kept only for a
	// revisable request (nil otherwise), to tell a revision from a repeat.
	values map[int64]map[string]float64
}

// next is the window to ask for at now: from the cursor (or, the very first time, from the
// lookback before the newest point that can be published) to that newest point, and the late
// window further back for late points. A cursor older than ZEGO's retention is clamped; lostMs
// is what aged out of acknowledged data. What lies behind the late window is forgotten.
func (c *cursor) next(now time.Time, tm timing) (w window, lostMs int64) {
	untilMs := tm.newest(now)
	if c.afterMs == 0 {
		c.afterMs = untilMs - tm.lookback.Milliseconds()
		c.knownFromMs = c.afterMs
	}
	oldest := now.Add(-tm.retention + retentionMargin).UnixMilli()
	if c.afterMs < oldest {
		if c.acknowledged {
			lostMs = oldest - c.afterMs
		}
		c.afterMs = oldest
	}
	c.knownFromMs = max(c.knownFromMs, c.afterMs-tm.lateWindow.Milliseconds(), oldest)
	c.delivered = slices.DeleteFunc(c.delivered, func(ms int64) bool { return ms <= c.knownFromMs })
	maps.DeleteFunc(c.values, func(ms int64, _ map[string]float64) bool { return ms <= c.knownFromMs })
	return window{lateMs: min(c.knownFromMs, c.afterMs), afterMs: c.afterMs, untilMs: untilMs}, lostMs
}

// advance moves past w once the pipeline took its new points, at times (ascending), or
// refused them for good: to the end of w or, toNewest, to the newest of times.
func (c *cursor) advance(w window, times []int64, toNewest bool) {
	switch {
	case !toNewest:
		c.afterMs = w.untilMs
	case len(times) > 0:
		c.afterMs = times[len(times)-1]
	}
	c.acknowledged = true
	c.delivered = append(c.delivered, times...)
}

// remember keeps the values delivered at each time, by series.
func (c *cursor) remember(values map[int64]map[string]float64) {
	if c.values == nil {
		c.values = map[int64]map[string]float64{}
	}
	maps.Copy(c.values, values)
}

// revised counts the values that differ from those last seen at the same time in the same
// series, and remembers them, so that each revision counts once. What was delivered stands.
func (c *cursor) revised(values map[int64]map[string]float64) (n int, first string) {
	for _, ms := range slices.Sorted(maps.Keys(values)) {
		for _, series := range slices.Sorted(maps.Keys(values[ms])) {
			was, ok := c.values[ms][series]
			if now := values[ms][series]; ok && was != now {
				c.values[ms][series] = now
				if n++; n == 1 {
					first = fmt.Sprintf("%s of %s: %v, now %v", series, msTime(ms).Format(time.RFC3339), was, now)
				}
			}
		}
	}
	return n, first
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
// Values are a revisable request's delivered values, by time (ms, as text) and series.
type savedCursor struct {
	AfterMs     int64                         `json:"after_ms"`
	KnownFromMs int64                         `json:"known_from_ms,omitempty"`
	DeliveredMs []int64                       `json:"delivered_ms,omitempty"`
	Values      map[string]map[string]float64 `json:"values,omitempty"`
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
	for ms, v := range c.values {
		if s.Values == nil {
			s.Values = map[string]map[string]float64{}
		}
		s.Values[strconv.FormatInt(ms, 10)] = v
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
	c.values = nil
	for text, v := range s.Values {
		if ms, err := strconv.ParseInt(text, 10, 64); err == nil {
			c.remember(map[int64]map[string]float64{ms: v})
		}
	}
}

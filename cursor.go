package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import "time"

// retentionMargin keeps the oldest instant asked for a minute inside ZEGO's retention, so that
// a server whose clock runs a little ahead has not dropped it when the call arrives.
const retentionMargin = time.Minute

// window is the range of point timestamps one poll asks for: (afterMs, untilMs].
type window struct{ afterMs, untilMs int64 }

func (w window) empty() bool { return w.untilMs <= w.afterMs }

func (w window) length() time.Duration { return time.Duration(w.untilMs-w.afterMs) * time.Millisecond }

// cursor is where an interface's next window starts. Every move it makes is in this file.
type cursor struct {
	afterMs int64 // exclusive; 0 until the first window or a checkpoint sets it
	// acknowledged is true once afterMs marks data the pipeline took (or refused for good), or a
	// checkpoint restored it; before that it only marks the initial lookback.
	acknowledged bool
}

// next is the window to ask for at now: from the cursor (or, the very first time, from
// initialLookback before the newest published point) to now - dataDelay. A cursor older than
// ZEGO's retention is clamped; lostMs is what aged out of acknowledged data.
func (c *cursor) next(now time.Time, dataDelay, initialLookback, retention time.Duration) (w window, lostMs int64) {
	untilMs := now.Add(-dataDelay).UnixMilli()
	if c.afterMs == 0 {
		c.afterMs = untilMs - initialLookback.Milliseconds()
	}
	if oldest := now.Add(-retention + retentionMargin).UnixMilli(); c.afterMs < oldest {
		if c.acknowledged {
			lostMs = oldest - c.afterMs
		}
		c.afterMs = oldest
	}
	return window{afterMs: c.afterMs, untilMs: untilMs}, lostMs
}

// advance moves past w once the pipeline took it, or refused it for good.
func (c *cursor) advance(w window) {
	c.afterMs, c.acknowledged = w.untilMs, true
}

// restore sets the cursor from a checkpoint; 0 means the checkpoint holds no cursor.
func (c *cursor) restore(afterMs int64) {
	c.afterMs, c.acknowledged = afterMs, afterMs != 0
}

// saved is what a checkpoint keeps: the cursor once acknowledged, else 0, so that a restart
// before any delivery starts from initial_lookback again.
func (c *cursor) saved() int64 {
	if c.acknowledged {
		return c.afterMs
	}
	return 0
}

// contains reports whether w holds a point at ms.
func (w window) contains(ms int64) bool { return ms > w.afterMs && ms <= w.untilMs }

package zegosim

import "time"

const nonceWindowMs = int64(10 * time.Minute / time.Millisecond)

// nonceCache remembers one AppID's nonces for 10 minutes (the same span as
// the Timestamp tolerance), pruned in arrival order.
type nonceCache struct {
	seen  map[string]int64 // nonce -> when last accepted, ms
	order []nonceEntry
}

type nonceEntry struct {
	nonce string
	ms    int64
}

// reused reports whether nonce was accepted in (now-10min, now].
func (c *nonceCache) reused(nonce string, nowMs int64) bool {
	c.prune(nowMs)
	at, ok := c.seen[nonce]
	return ok && at > nowMs-nonceWindowMs
}

func (c *nonceCache) add(nonce string, nowMs int64) {
	if c.seen == nil {
		c.seen = make(map[string]int64)
	}
	c.seen[nonce] = nowMs
	c.order = append(c.order, nonceEntry{nonce: nonce, ms: nowMs})
}

func (c *nonceCache) prune(nowMs int64) {
	i := 0
	for i < len(c.order) && c.order[i].ms <= nowMs-nonceWindowMs {
		e := c.order[i]
		if c.seen[e.nonce] == e.ms { // not re-added since
			delete(c.seen, e.nonce)
		}
		i++
	}
	c.order = c.order[i:]
}

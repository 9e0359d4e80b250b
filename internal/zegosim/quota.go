package zegosim

import (
	"sort"
	"time"
)

const (
	minuteMs = int64(time.Minute / time.Millisecond)
	dayMs    = int64(24 * time.Hour / time.Millisecond)
)

// callLog holds one AppID's call times over the last 24 h, run-length coded
// (calls in the same millisecond share an entry) and pruned on every call, so
// memory is bounded by the calls of one day.
type callLog struct {
	entries []callEntry // ascending by ms
	total   int         // calls in entries
}

type callEntry struct {
	ms int64
	n  int
}

// record meters a call at nowMs and returns how many calls (this one
// included) fall in the windows (now-60s, now] and (now-24h, now].
func (l *callLog) record(nowMs int64) (perMinute, perDay int) {
	l.prune(nowMs - dayMs)
	switch last := len(l.entries) - 1; {
	case last >= 0 && l.entries[last].ms == nowMs:
		l.entries[last].n++
	case last < 0 || l.entries[last].ms < nowMs:
		l.entries = append(l.entries, callEntry{ms: nowMs, n: 1})
	default: // the clock stepped back: keep the log sorted
		i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].ms >= nowMs })
		if l.entries[i].ms == nowMs {
			l.entries[i].n++
		} else {
			l.entries = append(l.entries, callEntry{})
			copy(l.entries[i+1:], l.entries[i:])
			l.entries[i] = callEntry{ms: nowMs, n: 1}
		}
	}
	l.total++
	return l.countAfter(nowMs - minuteMs), l.total
}

// prune forgets calls at or before cutoff.
func (l *callLog) prune(cutoff int64) {
	i := 0
	for i < len(l.entries) && l.entries[i].ms <= cutoff {
		l.total -= l.entries[i].n
		i++
	}
	if i > 0 {
		// Re-slicing keeps the old front alive until the next growth copies
		// the live part only: memory stays within a small factor of the day.
		l.entries = l.entries[i:]
	}
}

// countAfter counts calls strictly after cutoff, walking back from the newest.
func (l *callLog) countAfter(cutoff int64) int {
	n := 0
	for i := len(l.entries) - 1; i >= 0 && l.entries[i].ms > cutoff; i-- {
		n += l.entries[i].n
	}
	return n
}

// overQuota applies the limits; a negative limit means none.
func overQuota(perMinute, perDay, limitMinute, limitDay int) bool {
	return (limitMinute >= 0 && perMinute > limitMinute) || (limitDay >= 0 && perDay > limitDay)
}

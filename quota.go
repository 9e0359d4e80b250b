// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"slices"
	"time"
)

const day = 24 * time.Hour

// quotaLedger remembers when calls were sent so that no 60 s window holds
// more than perMinute of them and no 24 h window more than perDay.
//
// ZEGO counts a call when it arrives, which can be up to one request timeout
// after we send it; each window is therefore widened by that slack, so that
// the windows ZEGO sees can never hold more calls than ours.
type quotaLedger struct {
	perMinute int
	perDay    int
	slack     time.Duration
	calls     []int64 // send times, Unix ms, ascending
}

func newQuotaLedger(q QuotaConfig, slack time.Duration) *quotaLedger {
	return &quotaLedger{perMinute: q.PerMinute, perDay: q.PerDay, slack: slack}
}

// allow reports whether a call may be sent at now.
func (l *quotaLedger) allow(now time.Time) bool {
	l.prune(now)
	return l.countSince(now, time.Minute) < l.perMinute && l.countSince(now, day) < l.perDay
}

// record counts a call sent at now, whatever its outcome.
func (l *quotaLedger) record(now time.Time) {
	ms := now.UnixMilli()
	// Keep the ledger sorted even if the wall clock steps back.
	i, _ := slices.BinarySearch(l.calls, ms+1)
	l.calls = slices.Insert(l.calls, i, ms)
}

// remainingToday is how many calls the 24 h window still allows.
func (l *quotaLedger) remainingToday(now time.Time) int {
	return max(0, l.perDay-l.countSince(now, day))
}

// countSince counts calls in the closed window [now - window - slack, now].
func (l *quotaLedger) countSince(now time.Time, window time.Duration) int {
	from := now.Add(-window - l.slack).UnixMilli()
	i, _ := slices.BinarySearch(l.calls, from)
	return len(l.calls) - i
}

// prune drops calls no window can see any more, so the ledger stays at most perDay long.
func (l *quotaLedger) prune(now time.Time) {
	from := now.Add(-day - l.slack).UnixMilli()
	i, _ := slices.BinarySearch(l.calls, from)
	l.calls = slices.Delete(l.calls, 0, i)
}

// snapshot returns the send times to persist.
func (l *quotaLedger) snapshot(now time.Time) []int64 {
	l.prune(now)
	return slices.Clone(l.calls)
}

// restore loads persisted send times.
func (l *quotaLedger) restore(calls []int64, now time.Time) {
	l.calls = slices.Clone(calls)
	slices.Sort(l.calls)
	l.prune(now)
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

func TestQuotaLedger(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		at    time.Duration // since t0
		allow bool
	}
	tests := []struct {
		name  string
		quota QuotaConfig
		slack time.Duration
		steps []step // each allowed step is recorded as a call
	}{
		{"burst within a minute", QuotaConfig{PerMinute: 3, PerDay: 480}, 0, []step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {3 * time.Second, false}, {60 * time.Second, false}, {60*time.Second + time.Millisecond, true}}},
		// ZEGO counts a call on arrival, up to one timeout after it was sent.
		{"slack widens the windows", QuotaConfig{PerMinute: 1, PerDay: 480}, 30 * time.Second, []step{{0, true}, {61 * time.Second, false}, {90 * time.Second, false}, {90*time.Second + time.Millisecond, true}}},
		{"day window", QuotaConfig{PerMinute: 3, PerDay: 2}, 0, []step{{0, true}, {time.Hour, true}, {2 * time.Hour, false}, {24 * time.Hour, false}, {24*time.Hour + time.Millisecond, true}, {24*time.Hour + time.Second, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newQuotaLedger(tt.quota, tt.slack)
			for _, s := range tt.steps {
				now := t0.Add(s.at)
				require.Equal(t, s.allow, l.allow(now), "at +%v", s.at)
				if s.allow {
					l.record(now)
				}
			}
			// What a checkpoint keeps restores the same verdicts.
			restored := newQuotaLedger(tt.quota, tt.slack)
			last := t0.Add(tt.steps[len(tt.steps)-1].at)
			restored.restore(l.snapshot(last), last)
			assert.Equal(t, l.allow(last), restored.allow(last))
			assert.Equal(t, l.remainingToday(last), restored.remainingToday(last))
		})
	}
}

func TestQuotaLedgerStaysBounded(t *testing.T) {
	l := newQuotaLedger(QuotaConfig{PerMinute: 3, PerDay: 480}, 30*time.Second)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for range 10 * 480 {
		if l.allow(now) {
			l.record(now)
		}
		now = now.Add(3 * time.Minute)
	}
	assert.LessOrEqual(t, len(l.snapshot(now)), 480)
	assert.Equal(t, 480-len(l.snapshot(now)), l.remainingToday(now))
}

// Failed calls count against the quota too: ZEGO meters every call. A poll the quota does not
// allow is skipped, not queued; the next allowed one covers its window.
func TestFailedCallsCountAgainstTheQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay = 2, -1 })
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultCode, Code: 500})
		cfg := testConfig()
		cfg.CollectionInterval, cfg.Timeout, cfg.Quota = 30*time.Second, 10*time.Second, QuotaConfig{PerMinute: 2, PerDay: 10_000}
		x := start(t, cfg, sim.Transport(), &recorder{}, componenttest.NewNopHost())
		time.Sleep(10 * time.Minute)

		calls := sim.Calls()
		assert.LessOrEqual(t, maxInWindow(calls, time.Minute), 2)
		for _, c := range calls {
			assert.Equal(t, 500, c.Code, "never over ZEGO's quota")
		}
		assert.Positive(t, x.counter(t, "polls_skipped"))
		assert.Equal(t, int64(len(calls)), x.counter(t, "api_calls", outcomeAttr("transient")))
	})
}

// The interval validation advises is the shortest at which the ledger lets every call through,
// even when each call of a poll takes a whole timeout; a second less, and polls are skipped.
func TestSkipFreeInterval(t *testing.T) {
	for _, tt := range []struct {
		quota   QuotaConfig
		calls   int // a poll's, one per platform
		timeout time.Duration
		want    time.Duration
	}{
		{QuotaConfig{PerMinute: 3, PerDay: 480}, 1, 30 * time.Second, 3*time.Minute + time.Second},
		{QuotaConfig{PerMinute: 3, PerDay: 480}, 2, 30 * time.Second, 6*time.Minute + time.Second},
		{QuotaConfig{PerMinute: 3, PerDay: 480}, 3, 30 * time.Second, 9*time.Minute + time.Second},
		{QuotaConfig{PerMinute: 3, PerDay: 100_000}, 1, 30 * time.Second, 31 * time.Second},
		{QuotaConfig{PerMinute: 1, PerDay: 100_000}, 1, 10 * time.Second, 71 * time.Second},
	} {
		_, perMinute := skipFreeInterval(time.Minute, tt.quota.PerMinute, tt.calls, tt.timeout)
		_, perDay := skipFreeInterval(day, tt.quota.PerDay, tt.calls, tt.timeout)
		least := max(perMinute, perDay)
		assert.Equal(t, tt.want, least)
		skipped := func(interval time.Duration) int {
			l, skips := newQuotaLedger(tt.quota, tt.timeout), 0
			now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			for range 2 * day / interval {
				for call := range tt.calls {
					if at := now.Add(time.Duration(call) * tt.timeout); l.allow(at) {
						l.record(at)
					} else {
						skips++
					}
				}
				now = now.Add(interval)
			}
			return skips
		}
		assert.Zero(t, skipped(least), "%+v at %v", tt, least)
		assert.Positive(t, skipped(least-time.Second), "%+v at %v", tt, least-time.Second)
	}
}

package zegoreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

func TestQuotaLedger(t *testing.T) {
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
		{
			name:  "burst within a minute",
			quota: QuotaConfig{PerMinute: 3, PerDay: 480},
			steps: []step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {3 * time.Second, false}, {59 * time.Second, false}, {60*time.Second + time.Millisecond, true}},
		},
		{
			name:  "slack widens the minute window",
			quota: QuotaConfig{PerMinute: 1, PerDay: 480},
			slack: 30 * time.Second,
			steps: []step{{0, true}, {61 * time.Second, false}, {90 * time.Second, false}, {90*time.Second + time.Millisecond, true}},
		},
		{
			name:  "day window",
			quota: QuotaConfig{PerMinute: 3, PerDay: 2},
			steps: []step{{0, true}, {time.Hour, true}, {2 * time.Hour, false}, {24 * time.Hour, false}, {24*time.Hour + time.Millisecond, true}, {24*time.Hour + time.Second, false}},
		},
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
		})
	}
}

func TestQuotaLedgerStaysBounded(t *testing.T) {
	l := newQuotaLedger(QuotaConfig{PerMinute: 3, PerDay: 480}, 30*time.Second)
	now := t0
	for range 10 * 480 {
		if l.allow(now) {
			l.record(now)
		}
		now = now.Add(3 * time.Minute)
	}
	assert.LessOrEqual(t, len(l.snapshot(now)), 480)
	assert.Equal(t, 480-len(l.snapshot(now)), l.remainingToday(now))
}

// The quota through the receiver: every call counts, failed ones too; a poll
// the quota does not allow is skipped, and the next one covers its window.
func TestPollQuota(t *testing.T) {
	tests := []struct {
		name    string
		quota   QuotaConfig
		fail    bool          // the API answers with a transient error
		spacing time.Duration // between polls
		polls   int
		want    []pollOutcome
	}{
		{
			name: "a burst beyond the minute quota is skipped", quota: QuotaConfig{PerMinute: 3, PerDay: 480},
			spacing: 5 * time.Second, polls: 5,
			want: []pollOutcome{pollDelivered, pollDelivered, pollDelivered, pollQuotaFull, pollQuotaFull},
		},
		{
			name: "failed calls count against the quota", quota: QuotaConfig{PerMinute: 2, PerDay: 480}, fail: true,
			spacing: 5 * time.Second, polls: 4,
			want: []pollOutcome{pollAPIError, pollAPIError, pollQuotaFull, pollQuotaFull},
		},
		{
			name: "the day quota", quota: QuotaConfig{PerMinute: 3, PerDay: 3},
			spacing: time.Hour, polls: 5,
			want: []pollOutcome{pollDelivered, pollDelivered, pollDelivered, pollQuotaFull, pollQuotaFull},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Quota = tt.quota
			h := newHarness(t, cfg)
			if tt.fail {
				h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
					return nil, apiErr(zegoapi.KindTransient, 500)
				}
			}
			var got []pollOutcome
			for range tt.polls {
				got = append(got, h.poll(t))
				h.clock.Advance(tt.spacing)
			}
			assert.Equal(t, tt.want, got)
			calls := 0
			for _, o := range tt.want {
				if o == pollDelivered || o == pollAPIError {
					calls++
				}
			}
			assert.Len(t, h.api.calls(), calls)
		})
	}
}

// A skipped poll is not queued: the next allowed one asks for everything since the cursor in one call.
func TestSkippedPollIsCoveredByTheNext(t *testing.T) {
	cfg := testConfig()
	cfg.Quota = QuotaConfig{PerMinute: 1, PerDay: 480}
	h := newHarness(t, cfg)
	require.Equal(t, pollDelivered, h.poll(t))
	cursor := h.r.state.cursorMs
	h.clock.Advance(20 * time.Second)
	require.Equal(t, pollQuotaFull, h.poll(t))
	h.clock.Advance(100 * time.Second)
	require.Equal(t, pollDelivered, h.poll(t))
	require.Len(t, h.api.calls(), 2)
	assert.Equal(t, cursor, h.api.last(t).StartMs)
	assert.Equal(t, t0.Add(120*time.Second-3*time.Minute).UnixMilli()+1, h.api.last(t).EndMs)
}

// The ledger survives a restart through the checkpoint, so a restart loop cannot burst the quota.
func TestQuotaLedgerSurvivesRestart(t *testing.T) {
	cfg := testConfig()
	cfg.StorageID = &storageID
	cfg.Quota = QuotaConfig{PerMinute: 3, PerDay: 480}
	store := newMemStorage()
	clock := &fakeClock{now: t0}
	api := &fakeAPI{respond: func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		return nil, apiErr(zegoapi.KindTransient, 500)
	}}

	var outcomes []pollOutcome
	for range 4 { // four restarts, one poll each, a second apart
		h := newHarness(t, cfg)
		h.r.api, h.r.now = api, clock.Now
		require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
		outcomes = append(outcomes, h.poll(t))
		require.NoError(t, h.r.Shutdown(context.Background()))
		clock.Advance(time.Second)
	}
	assert.Equal(t, []pollOutcome{pollAPIError, pollAPIError, pollAPIError, pollQuotaFull}, outcomes)
	assert.Len(t, api.calls(), 3)
}

func TestBackoffPerErrorClass(t *testing.T) {
	tests := []struct {
		name string
		kind zegoapi.ErrorKind
		code int64
		// waits are the silences after each of several failures in a row.
		waits []time.Duration
		// fix is what the one loud log line tells the user to do.
		fix string
	}{
		{name: "transient retries at the next tick", kind: zegoapi.KindTransient, code: 500, waits: []time.Duration{0, 0, 0}},
		{
			name: "rate limited waits a minute and doubles", kind: zegoapi.KindRateLimited, code: 30002,
			waits: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute},
			fix:   "lower quota.per_minute",
		},
		{
			name: "bad credentials back off up to 30 minutes", kind: zegoapi.KindBadCredentials, code: 100000005,
			waits: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute},
			fix:   "check app_id and server_secret",
		},
		{
			name: "clock skew backs off", kind: zegoapi.KindClockSkew, code: 100000004,
			waits: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute},
			fix:   "local clock",
		},
		{
			name: "permanent backs off", kind: zegoapi.KindPermanent, code: 10002,
			waits: []time.Duration{time.Minute, 2 * time.Minute},
			fix:   "check endpoint, is_test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Quota = QuotaConfig{PerMinute: 1000, PerDay: 1000000}
			h := newHarness(t, cfg)
			h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) { return nil, apiErr(tt.kind, tt.code) }
			for i, wait := range tt.waits {
				require.Equal(t, pollAPIError, h.poll(t), "failure %d", i+1)
				if wait > 0 {
					h.clock.Advance(wait - time.Millisecond)
					require.Equal(t, pollBackingOff, h.poll(t), "still backing off %v after failure %d", wait-time.Millisecond, i+1)
					h.clock.Advance(time.Millisecond)
				} else {
					h.clock.Advance(time.Second)
				}
			}
			// One log line for the cause, however often it repeats.
			loud := h.logs.FilterMessageSnippet("GetRealtimeUsage failed").Filter(func(e observer.LoggedEntry) bool { return e.Level >= zapcore.WarnLevel })
			require.Equal(t, 1, loud.Len(), "one Warn/Error line per distinct cause")
			if tt.fix != "" {
				assert.Contains(t, loud.All()[0].ContextMap()["fix"], tt.fix)
			}

			// A success resets the backoff; the next failure waits a minute again.
			h.api.respond = nil
			h.clock.Advance(30 * time.Minute)
			require.Equal(t, pollDelivered, h.poll(t))
			assert.Equal(t, 1, h.logs.FilterMessage("GetRealtimeUsage calls succeed again").Len())
			h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) { return nil, apiErr(tt.kind, tt.code) }
			h.clock.Advance(time.Second)
			require.Equal(t, pollAPIError, h.poll(t))
			h.clock.Advance(tt.waits[0] + time.Millisecond)
			assert.Equal(t, pollAPIError, h.poll(t))
		})
	}
}

// A different cause is logged again: each distinct cause gets its line.
func TestEachDistinctCauseLoggedOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	h.r.cfg.Quota = QuotaConfig{PerMinute: 1000, PerDay: 1000000}
	h.r.state.ledger = newQuotaLedger(h.r.cfg.Quota, 0)
	causes := []error{
		apiErr(zegoapi.KindTransient, 500), apiErr(zegoapi.KindTransient, 500),
		&zegoapi.APIError{Kind: zegoapi.KindTransient, HTTPStatus: 502}, &zegoapi.APIError{Kind: zegoapi.KindTransient, HTTPStatus: 502},
		apiErr(zegoapi.KindTransient, 500),
	}
	for _, err := range causes {
		h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) { return nil, err }
		require.Equal(t, pollAPIError, h.poll(t))
		h.clock.Advance(time.Second)
	}
	assert.Equal(t, 3, h.logs.FilterMessageSnippet("GetRealtimeUsage failed;").Len())
}

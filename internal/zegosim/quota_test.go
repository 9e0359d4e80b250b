package zegosim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one call in a quota scenario: at t0+at, expecting code. The calls
// ask for a window with no points, to stay cheap.
type step struct {
	at   time.Duration
	code int
}

func runSteps(t *testing.T, h *harness, app uint32, secret string, steps []step) {
	t.Helper()
	for i, st := range steps {
		h.clock.Set(t0.Add(st.at))
		r := h.send(h.query(app, secret, 0, 1, MetricOnlineUser))
		require.Equal(t, st.code, r.Code, "step %d at +%v: %s", i, st.at, r.Message)
	}
}

func TestQuotaPerMinute(t *testing.T) {
	ms1 := time.Millisecond
	tests := []struct {
		name  string
		steps []step
	}{
		{"three in a burst, fourth refused", []step{
			{0, 0}, {time.Second, 0}, {2 * time.Second, 0}, {3 * time.Second, CodeRateLimit},
		}},
		{"window is (t-60s, t]: a call exactly 60 s old no longer counts", []step{
			{0, 0}, {time.Second, 0}, {2 * time.Second, 0}, {60 * time.Second, 0},
		}},
		{"one millisecond short of 60 s it still counts", []step{
			{0, 0}, {time.Second, 0}, {2 * time.Second, 0}, {60*time.Second - ms1, CodeRateLimit},
		}},
		{"one call every 20 s never trips", []step{
			{0, 0}, {20 * time.Second, 0}, {40 * time.Second, 0}, {60 * time.Second, 0},
			{80 * time.Second, 0}, {100 * time.Second, 0}, {120 * time.Second, 0},
		}},
		{"refused calls count too", []step{
			{0, 0}, {time.Second, 0}, {2 * time.Second, 0},
			{30 * time.Second, CodeRateLimit},
			// At 61 s the window (1 s, 61 s] holds 2 s, 30 s and this call: three.
			{61 * time.Second, 0},
			// At 62 s it holds 30 s, 61 s, 62 s... and 2 s has gone: three again.
			{62 * time.Second, 0},
			{63 * time.Second, CodeRateLimit},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			runSteps(t, h, exampleApp, exampleSecret, tt.steps)
		})
	}
}

func TestQuotaPerDay(t *testing.T) {
	hour := time.Hour
	day := 24 * time.Hour
	history := []step{{0, 0}, {hour, 0}, {2 * hour, 0}, {3 * hour, 0}, {4 * hour, 0}}
	tests := []struct {
		name string
		next step
	}{
		{"sixth within the day refused", step{5 * hour, CodeRateLimit}},
		{"1 ms before the first call is 24 h old: refused", step{day - time.Millisecond, CodeRateLimit}},
		{"exactly 24 h later: the first call has left the window", step{day, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{PerDay: 5})
			runSteps(t, h, exampleApp, exampleSecret, append(append([]step(nil), history...), tt.next))
		})
	}

	t.Run("default 480 a day: one call every 180 s fits, one more does not", func(t *testing.T) {
		h := newHarness(t, Config{})
		for i := range 481 { // the 481st is 24 h after the first
			h.clock.Set(t0.Add(time.Duration(i) * 180 * time.Second))
			r := h.send(h.example(0, 1, MetricOnlineUser))
			require.Equal(t, CodeSuccess, r.Code, "call %d: %s", i, r.Message)
		}
		h.clock.Advance(90 * time.Second)
		assert.Equal(t, CodeRateLimit, h.send(h.example(0, 1, MetricOnlineUser)).Code)
		st := h.s.Stats()[exampleApp]
		assert.Equal(t, 482, st.Calls)
		assert.Equal(t, 481, st.MaxPerDay)
		assert.Equal(t, 1, st.Codes[CodeRateLimit])
	})
}

func TestQuotaPerAppID(t *testing.T) {
	h := newHarness(t, Config{AnySecret: "any"})
	for range 3 {
		require.Equal(t, CodeSuccess, h.send(h.query(1, "any", 0, 1, MetricOnlineUser)).Code)
	}
	assert.Equal(t, CodeRateLimit, h.send(h.query(1, "any", 0, 1, MetricOnlineUser)).Code)
	assert.Equal(t, CodeSuccess, h.send(h.query(2, "any", 0, 1, MetricOnlineUser)).Code, "another AppID has its own quota")
}

func TestQuotaMetersEveryCall(t *testing.T) {
	h := newHarness(t, Config{})
	bad := h.example(0, 1, MetricOnlineUser)
	bad.Set("Signature", "00000000000000000000000000000000")
	for range 3 {
		require.Equal(t, CodeSignatureWrong, h.send(bad).Code)
	}
	assert.Equal(t, CodeRateLimit, h.send(h.example(0, 1, MetricOnlineUser)).Code,
		"three refused calls used the minute's quota")

	// A call naming no well-formed AppId cannot be metered.
	noApp := h.example(0, 1, MetricOnlineUser)
	noApp.Del("AppId")
	assert.Equal(t, CodeAppIDFormat, h.send(noApp).Code)
	assert.Equal(t, 4, h.s.Stats()[exampleApp].Calls)
}

func TestQuotaDisabled(t *testing.T) {
	h := newHarness(t, Config{PerMinute: -1, PerDay: -1})
	for range 20 {
		require.Equal(t, CodeSuccess, h.send(h.example(0, 1, MetricOnlineUser)).Code)
	}
	assert.Equal(t, 20, h.s.Stats()[exampleApp].MaxPerMinute)
}

func TestQuotaStatsSlidingWindows(t *testing.T) {
	h := newHarness(t, Config{PerMinute: -1})
	// Two calendar minutes, one call and two calls; one sliding minute holds all three.
	runSteps(t, h, exampleApp, exampleSecret, []step{{50 * time.Second, 0}, {70 * time.Second, 0}, {100 * time.Second, 0}})
	st := h.s.Stats()[exampleApp]
	assert.Equal(t, 3, st.MaxPerMinute)
	assert.Equal(t, 3, st.MaxPerDay)
	assert.Equal(t, 3, st.Codes[CodeSuccess])
}

func TestCallLogPrunes(t *testing.T) {
	var l callLog
	base := ms(t0)
	for i := range int64(1000) {
		l.record(base + i*1000)
	}
	perMinute, perDay := l.record(base + dayMs + 999_500)
	// Every earlier call is more than 24 h old: only this one is left.
	assert.Equal(t, 1, perMinute)
	assert.Equal(t, 1, perDay)
	assert.Len(t, l.entries, 1)

	// Same millisecond shares an entry; a clock stepping back stays sorted.
	l.record(base + dayMs + 999_500)
	l.record(base + dayMs + 990_000)
	require.Len(t, l.entries, 2)
	assert.Equal(t, 2, l.entries[1].n)
	assert.Less(t, l.entries[0].ms, l.entries[1].ms)
	assert.Equal(t, 3, l.total)
}

func TestNonceCachePrunes(t *testing.T) {
	var c nonceCache
	base := ms(t0)
	for i := range int64(100) {
		c.add(fmt.Sprint(i), base+i)
	}
	c.add("0", base+500) // re-added: the old entry must not delete it
	assert.False(t, c.reused("x", base+nonceWindowMs+99))
	assert.Len(t, c.seen, 1, "only the re-added nonce is left")
	assert.Len(t, c.order, 1)
	assert.True(t, c.reused("0", base+nonceWindowMs+99))
}

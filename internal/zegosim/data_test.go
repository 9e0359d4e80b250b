package zegosim

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataWindows(t *testing.T) {
	now := ms(t0)
	minute := int64(60_000)
	tests := []struct {
		name        string
		cfg         Config
		start, end  int64
		first, last int64 // expected first and last point; count follows from the grid
		count       int
	}{
		{"delay and retention clip a wide window", Config{},
			now - 3*60*minute, now + minute, now - 120*minute, now - 3*minute, 120*60 - 3*60 + 1},
		{"both bounds inclusive", Config{},
			now - 10*minute, now - 5*minute, now - 10*minute, now - 5*minute, 301},
		{"a single point", Config{},
			now - 10*minute, now - 10*minute, now - 10*minute, now - 10*minute, 1},
		{"nothing newer than now - Delay", Config{},
			now - 3*minute + 1, now, 0, 0, 0},
		{"nothing older than now - Retention", Config{},
			0, now - 120*minute - 1, 0, 0, 0},
		{"custom delay and retention", Config{Delay: 30 * time.Second, Retention: 5 * time.Minute},
			0, now, now - 5*minute, now - 30_000, 271},
		{"no delay", Config{Delay: -1},
			now - 2000, now, now - 2000, now, 3},
		{"granularity 1m", Config{Granularity: time.Minute},
			now - 30*minute, now, now - 30*minute, now - 3*minute, 28},
		{"granularity 1m, phase 767", Config{Granularity: time.Minute, PhaseMs: 767},
			now - 30*minute, now, now - 30*minute + 767, now - 4*minute + 767, 27},
		{"phase: bounds between points", Config{PhaseMs: 767},
			now - 10*minute, now - 10*minute + 999, now - 10*minute + 767, now - 10*minute + 767, 1},
		{"server clock offset moves the window", Config{ClockOffset: 5 * time.Minute},
			now - minute, now + 10*minute, now - minute, now + 2*minute, 181},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.PerMinute = -1
			h := newHarness(t, tt.cfg)
			r := h.send(h.example(tt.start, tt.end, MetricOnlineUser))
			require.Equal(t, CodeSuccess, r.Code, r.Message)
			times := r.times(MetricOnlineUser)
			require.Len(t, times, tt.count)
			if tt.count == 0 {
				return
			}
			assert.Equal(t, tt.first, times[0])
			assert.Equal(t, tt.last, times[len(times)-1])
			assert.True(t, slices.IsSorted(times))
			g := h.s.cfg.Granularity.Milliseconds()
			for _, ts := range times {
				require.Equal(t, floorMod(tt.cfg.PhaseMs, g), floorMod(ts, g), "point %d off the grid", ts)
			}
		})
	}
}

func TestDataPublishedAsTimePasses(t *testing.T) {
	h := newHarness(t, Config{PerMinute: -1})
	last := func() int64 {
		times := h.send(h.example(0, 0, MetricOnlineUser)).times(MetricOnlineUser)
		require.NotEmpty(t, times)
		return times[len(times)-1]
	}
	assert.Equal(t, ms(t0)-180_000, last())
	h.clock.Advance(999 * time.Millisecond)
	assert.Equal(t, ms(t0)-180_000, last(), "the next point is not due yet")
	h.clock.Advance(time.Millisecond)
	assert.Equal(t, ms(t0)-179_000, last())
}

func TestDataValuesAndOrder(t *testing.T) {
	h := newHarness(t, Config{Seed: 42})
	asked := []string{MetricMixConcurrent, MetricOnlineUser, MetricPublishConcurrent, MetricRoomConcurrent, MetricPlayConcurrent, MetricMaxRoomUser}
	start, end := ms(t0)-20*60_000, ms(t0)-10*60_000
	r := h.send(h.example(start, end, asked...))
	require.Equal(t, CodeSuccess, r.Code)
	require.Len(t, r.Data.Metrics, len(asked))
	for i, m := range r.Data.Metrics {
		assert.Equal(t, asked[i], m.Metric, "metrics come in the order asked")
		require.Len(t, m.Values, 601)
		for _, v := range m.Values {
			require.Equal(t, float64(Value(42, exampleApp, m.Metric, v.Timestamp)), v.Value)
		}
	}
	assert.Equal(t, 6*601, h.s.Stats()[exampleApp].PointsServed)
}

func TestPointTimes(t *testing.T) {
	tests := []struct {
		name         string
		after, until int64
		g            time.Duration
		phase        int64
		want         []int64
	}{
		{"seconds, after excluded, until included", 1000, 4000, time.Second, 0, []int64{2000, 3000, 4000}},
		{"phase", 1000, 4000, time.Second, 767, []int64{1767, 2767, 3767}},
		{"phase wider than the grid", 1000, 4000, time.Second, 2767, []int64{1767, 2767, 3767}},
		{"negative phase", 1000, 4000, time.Second, -233, []int64{1767, 2767, 3767}},
		{"negative times", -2500, 0, time.Second, 0, []int64{-2000, -1000, 0}},
		{"minute grid", 0, 180_000, time.Minute, 0, []int64{60_000, 120_000, 180_000}},
		{"empty range", 5000, 5000, time.Second, 0, nil},
		{"inverted range", 6000, 5000, time.Second, 0, nil},
		{"no point inside", 1001, 1999, time.Second, 0, nil},
		{"zero granularity means 1s", 0, 2000, 0, 0, []int64{1000, 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PointTimes(tt.after, tt.until, tt.g, tt.phase))
		})
	}
}

// The Date header carries the server's clock, offset included.
func TestDateHeaderFollowsServerClock(t *testing.T) {
	clock := &fakeClock{}
	clock.Set(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(Config{Apps: map[uint32]string{1: "s"}, Now: clock.Now, ClockOffset: 11 * time.Minute})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?Action=GetRealtimeUsage", nil))
	assert.Equal(t, "Fri, 27 Nov 2026 12:11:00 GMT", rec.Header().Get("Date"))
}

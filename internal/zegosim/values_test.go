package zegosim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestValuePure(t *testing.T) {
	ts := ms(t0)
	for _, m := range MetricNames() {
		assert.Equal(t, Value(1, 7, m, ts), Value(1, 7, m, ts), m)
	}
	differs := func(f func(i int64) int64) bool {
		for i := range int64(50) {
			if f(i) != f(0) {
				return true
			}
		}
		return false
	}
	assert.True(t, differs(func(i int64) int64 { return Value(i, 7, MetricOnlineUser, ts) }), "seed matters")
	assert.True(t, differs(func(i int64) int64 { return Value(1, uint32(i), MetricOnlineUser, ts) }), "AppID matters")
	assert.True(t, differs(func(i int64) int64 { return Value(1, 7, MetricOnlineUser, ts+i*1000) }), "time matters")
	assert.Zero(t, Value(1, 7, "cpu", ts))
}

// TestValueInvariants walks a whole day second by second for a few apps.
// Plain comparisons, not testify, in the hot loop: 350 000 snapshots.
func TestValueInvariants(t *testing.T) {
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		seed int64
		app  uint32
	}{{0, 1}, {1, 12345}, {-7, 4294967295}, {99, 2}} {
		var prev [numMetrics]int64
		for s := range int64(86400) {
			ts := ms(day) + s*1000
			v := snapshot(c.seed, c.app, ts)
			on := v[iOnline]
			check := func(ok bool, what string) {
				if !ok {
					t.Fatalf("seed %d app %d at %d: %s violated: %v (order %v)", c.seed, c.app, ts, what, v, metricNames)
				}
			}
			for _, x := range v {
				check(x >= 0, "non-negative")
			}
			check(v[iMaxRoom] <= on, "max_room_user <= online_user")
			check(v[iRoom] <= on, "room_concurrent <= online_user")
			check(v[iPublish] <= on, "publish_concurrent <= online_user")
			check(v[iMix] <= v[iPublish], "mix_concurrent <= publish_concurrent")
			check(v[iMix] <= v[iPublish]/5+1, "mix_concurrent a small share of publish_concurrent")
			check(v[iPublish] <= on*3/5+1, "publish_concurrent a plausible share of online_user")
			check(v[iPlay] >= v[iPublish], "play_concurrent >= publish_concurrent")
			check(v[iPlay] <= 5*v[iPublish]+1, "play_concurrent <= 5 x publish_concurrent")
			check(v[iRoom] == 0 || v[iMaxRoom]*v[iRoom] >= on, "largest room >= average room")
			check(on == 0 || v[iRoom] > 0, "someone online is in a room")
			if s > 0 {
				d := float64(on - prev[iOnline])
				check(d <= 0.1*float64(prev[iOnline])+2 && -d <= 0.1*float64(prev[iOnline])+2, "no jump in online_user")
			}
			prev = v
			if s%3600 == 0 {
				for i, m := range metricNames {
					check(Value(c.seed, c.app, m, ts) == v[i], "Value agrees with snapshot for "+m)
				}
			}
		}
	}
}

func TestValueDailyCurve(t *testing.T) {
	mean := func(app uint32, hour int) float64 {
		var sum int64
		start := time.Date(2024, 3, 5, hour, 0, 0, 0, time.UTC)
		for s := range int64(3600) {
			sum += Value(3, app, MetricOnlineUser, ms(start)+s*1000)
		}
		return float64(sum) / 3600
	}
	for _, app := range []uint32{1, 2, 3, 12345} {
		night, evening, noon := mean(app, 4), mean(app, 20), mean(app, 12)
		assert.Greater(t, night, 0.0, "app %d has users at night", app)
		assert.Greater(t, evening, 3*night, "app %d: evening peak vs 04:00 trough", app)
		assert.Greater(t, noon, night, "app %d", app)
		assert.Greater(t, evening, noon, "app %d", app)
	}
}

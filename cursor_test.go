// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"cmp"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// Every move of the cursor, one poll at a time, at 12:00 with the default data_delay (3m),
// initial_lookback (3m) and late_window (10m), so the newest point asked for is 11:57.
func TestCursor(t *testing.T) {
	noon := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ms := func(hhmm string) int64 {
		at, err := time.Parse("15:04", hhmm)
		if err != nil {
			panic(err)
		}
		return time.Date(2026, 12, 1, at.Hour(), at.Minute(), 0, 0, time.UTC).UnixMilli()
	}
	times := func(hhmm ...string) []int64 {
		var out []int64
		for _, t := range hhmm {
			out = append(out, ms(t))
		}
		return out
	}
	win := func(late, from, to string) window { return window{ms(late), ms(from), ms(to)} }
	// acked is a cursor at at that knows what it delivered after known.
	acked := func(at, known string, delivered ...string) cursor {
		return cursor{afterMs: ms(at), acknowledged: true, knownFromMs: ms(known), delivered: times(delivered...)}
	}
	unacked := func(at string) cursor { return cursor{afterMs: ms(at), knownFromMs: ms(at)} }
	tests := []struct {
		name       string
		retention  time.Duration // 0: two hours
		lateWindow time.Duration // 0: ten minutes; -1: off
		start      cursor
		advance    []int64 // the pipeline took the window's new points at these times
		want       window
		wantLost   time.Duration
		after      cursor
	}{
		{name: "first window from initial_lookback", want: win("11:54", "11:54", "11:57"), after: unacked("11:54")},
		{
			name: "taken: moves to the window's end, remembers what it delivered", advance: times("11:55", "11:56"),
			want: win("11:54", "11:54", "11:57"), after: acked("11:57", "11:54", "11:55", "11:56"),
		},
		{name: "asked again: stays, and asks late_window behind", start: acked("11:50", "11:40", "11:45"), want: win("11:40", "11:50", "11:57"), after: acked("11:50", "11:40", "11:45")},
		{name: "what lies behind the late window is forgotten", start: acked("11:50", "11:30", "11:35", "11:45"), want: win("11:40", "11:50", "11:57"), after: acked("11:50", "11:40", "11:45")},
		{name: "late_window 0 asks for nothing behind", lateWindow: -1, start: acked("11:50", "11:40", "11:45"), want: win("11:50", "11:50", "11:57"), after: acked("11:50", "11:50")},
		{name: "restored from a checkpoint", start: restored(savedCursor{AfterMs: ms("11:40"), KnownFromMs: ms("11:35"), DeliveredMs: []int64{ms("11:36"), 60_000}}), want: win("11:35", "11:40", "11:57"), after: acked("11:40", "11:35", "11:36", "11:37")},
		{name: "a checkpoint that knows nothing behind its cursor", start: restored(savedCursor{AfterMs: ms("11:40")}), want: win("11:40", "11:40", "11:57"), after: acked("11:40", "11:40")},
		{name: "a checkpoint without a cursor starts from initial_lookback", start: restored(savedCursor{}), want: win("11:54", "11:54", "11:57"), after: unacked("11:54")},
		{
			name: "older than the retention: clamped, the loss counted", start: acked("09:30", "09:20"),
			want: win("10:01", "10:01", "11:57"), wantLost: 31 * time.Minute, after: acked("10:01", "10:01"),
		},
		{name: "a lookback beyond the retention is clamped, nothing was lost", start: unacked("09:57"), want: win("10:01", "10:01", "11:57"), after: unacked("10:01")},
		{
			name: "GetRegionQualityDetail keeps one hour", retention: time.Hour, start: acked("10:30", "10:20"),
			want: win("11:01", "11:01", "11:57"), wantLost: 31 * time.Minute, after: acked("11:01", "11:01"),
		},
		{name: "nothing new yet", start: acked("11:57", "11:47"), want: win("11:47", "11:57", "11:57"), after: acked("11:57", "11:47")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.start
			w, lostMs := c.next(noon, testTiming(3*time.Minute, 3*time.Minute, cmp.Or(tt.retention, 2*time.Hour), max(0, cmp.Or(tt.lateWindow, 10*time.Minute))))
			assert.Equal(t, tt.want, w)
			assert.Equal(t, tt.wantLost, time.Duration(lostMs)*time.Millisecond)
			if tt.advance != nil {
				c.advance(w, tt.advance, false)
			}
			if len(c.delivered) == 0 {
				c.delivered = nil // as restore leaves it
			}
			assert.Equal(t, tt.after, c)
			if c.acknowledged {
				assert.Equal(t, tt.after, restored(c.saved()), "the checkpoint keeps it whole")
			} else {
				assert.Zero(t, c.saved(), "nothing to keep before a delivery: a restart starts from initial_lookback again")
			}
		})
	}
}

// A late point is delivered once: what was delivered, in order or late, is never taken again.
func TestCursorLatePoints(t *testing.T) {
	c := cursor{afterMs: 100_000, acknowledged: true, knownFromMs: 40_000, delivered: []int64{50_000, 70_000}}
	c.deliveredLate([]int64{60_000, 45_000})
	assert.Equal(t, []int64{45_000, 50_000, 60_000, 70_000}, c.delivered)
	for ms, want := range map[int64]bool{45_000: true, 60_000: true, 55_000: false, 100_000: false} {
		assert.Equal(t, want, c.wasDelivered(ms), "%d", ms)
	}
	w := window{lateMs: 40_000, afterMs: 100_000, untilMs: 160_000}
	assert.True(t, w.behind(100_000))
	assert.False(t, w.behind(40_000), "the late window's start is exclusive")
	assert.False(t, w.behind(100_001), "a new point is not behind")
	assert.True(t, w.contains(100_001))
}

func restored(s savedCursor) cursor {
	var c cursor
	c.restore(s)
	return c
}

// What a cursor adds to the checkpoint at one point a second: about five bytes for each second
// of late_window and of the interval since the last poll (3.9 KB with the defaults).
func TestCursorCheckpointSize(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := cursor{afterMs: now.Add(-20 * time.Minute).UnixMilli(), acknowledged: true}
	for range 10 { // polls at the default interval, a point every second
		now = now.Add(defaultCollectionInterval)
		w, _ := c.next(now, testTiming(defaultDataDelay, defaultInitialLookback, 2*time.Hour, defaultLateWindow))
		var times []int64
		for ms := w.afterMs + 1000; ms <= w.untilMs; ms += 1000 {
			times = append(times, ms)
		}
		c.advance(w, times, false)
	}
	raw, err := json.Marshal(c.saved())
	require.NoError(t, err)
	seconds := int((defaultLateWindow + defaultCollectionInterval) / time.Second)
	assert.Len(t, c.delivered, seconds)
	assert.LessOrEqual(t, len(raw), 5*seconds+100)
	t.Logf("a cursor with late_window %v at one point a second: %d bytes", defaultLateWindow, len(raw))
}

// testTiming is a real-time interface's timing.
func testTiming(dataDelay, initialLookback, retention, lateWindow time.Duration) timing {
	return realtimeTiming(&Config{DataDelay: dataDelay, InitialLookback: initialLookback, LateWindow: lateWindow}, retention)
}

// A daily cursor moves only to the newest day received: an answer without yesterday leaves the
// window as it was (the next poll asks again), and once yesterday is in the window is empty
// until the day after can be published. Each window reaches a day behind the cursor, to re-read
// the newest delivered day.
func TestDailyCursor(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Daily.LookbackDays = 3
	tm := dailySchedule(zegoapi.ActionBizUsage, bizUsageMetrics)(cfg, nil, zap.NewNop()).timing
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	dec := func(d int) int64 { return time.Date(2026, 12, d, 0, 0, 0, 0, shanghai).UnixMilli() }
	now := time.Date(2026, 12, 8, 3, 0, 0, 0, shanghai) // yesterday is the 7th

	var c cursor
	w, _ := c.next(now, tm)
	assert.Equal(t, dec(7), w.untilMs)
	assert.Equal(t, []int64{dec(5), dec(6), dec(7)}, dailyTimes(w), "lookback_days 3: the 5th to the 7th")
	c.advance(w, []int64{dec(5), dec(6)}, true) // the 7th not published yet
	w, _ = c.next(now, tm)
	assert.False(t, w.empty())
	assert.Equal(t, []int64{dec(7)}, dailyTimes(w), "asks again for the 7th")
	assert.True(t, w.behind(dec(6)), "and re-reads the 6th")
	c.advance(w, []int64{dec(7)}, true)
	w, _ = c.next(now.Add(20*time.Hour), tm) // 23:00 on the 8th
	assert.True(t, w.empty(), "yesterday is in: nothing to ask until the 9th")
	w, _ = c.next(now.Add(21*time.Hour), tm) // 00:00 on the 9th
	assert.Equal(t, []int64{dec(8)}, dailyTimes(w))
	q := dailyRequest{action: zegoapi.ActionBizUsage, loc: shanghai}.query(w.lateMs, w.untilMs)
	assert.Equal(t, [2]string{"20261207", "20261208"}, [2]string{q.StartDate, q.EndDate}, "from the newest day delivered")
}

// dailyTimes are the day starts (in Shanghai) that w holds as new.
func dailyTimes(w window) []int64 {
	var out []int64
	for ms := w.untilMs; w.contains(ms); ms -= int64(day / time.Millisecond) {
		out = append([]int64{ms}, out...)
	}
	return out
}

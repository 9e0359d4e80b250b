package zegoreceiver

import (
	"cmp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Every move of the cursor, one poll at a time, at 12:00 with the default data_delay (3m) and
// initial_lookback (3m), so the newest point asked for is 11:57.
func TestCursor(t *testing.T) {
	noon := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ms := func(hhmm string) int64 {
		at, err := time.Parse("15:04", hhmm)
		if err != nil {
			panic(err)
		}
		return time.Date(2026, 12, 1, at.Hour(), at.Minute(), 0, 0, time.UTC).UnixMilli()
	}
	win := func(from, to string) window { return window{ms(from), ms(to)} }
	acked := func(at string) cursor { return cursor{afterMs: ms(at), acknowledged: true} }
	unacked := func(at string) cursor { return cursor{afterMs: ms(at)} }
	tests := []struct {
		name      string
		retention time.Duration // 0: two hours
		start     cursor
		advance   bool // the pipeline took the window (or refused it for good)
		want      window
		wantLost  time.Duration
		after     cursor
		saved     int64
	}{
		{name: "first window from initial_lookback", want: win("11:54", "11:57"), after: unacked("11:54")},
		{name: "taken: moves to the window's end", advance: true, want: win("11:54", "11:57"), after: acked("11:57"), saved: ms("11:57")},
		{name: "asked again: stays", start: acked("11:50"), want: win("11:50", "11:57"), after: acked("11:50"), saved: ms("11:50")},
		{name: "restored from a checkpoint", start: restored(ms("11:40")), advance: true, want: win("11:40", "11:57"), after: acked("11:57"), saved: ms("11:57")},
		{name: "a checkpoint without a cursor starts from initial_lookback", start: restored(0), want: win("11:54", "11:57"), after: unacked("11:54")},
		{
			name: "older than the retention: clamped, the loss counted", start: acked("09:30"),
			want: win("10:01", "11:57"), wantLost: 31 * time.Minute, after: acked("10:01"), saved: ms("10:01"),
		},
		{name: "a lookback beyond the retention is clamped, nothing was lost", start: unacked("09:57"), want: win("10:01", "11:57"), after: unacked("10:01")},
		{
			name: "GetRegionQualityDetail keeps one hour", retention: time.Hour, start: acked("10:30"),
			want: win("11:01", "11:57"), wantLost: 31 * time.Minute, after: acked("11:01"), saved: ms("11:01"),
		},
		{name: "nothing new yet", start: acked("11:57"), want: win("11:57", "11:57"), after: acked("11:57"), saved: ms("11:57")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.start
			w, lostMs := c.next(noon, 3*time.Minute, 3*time.Minute, cmp.Or(tt.retention, 2*time.Hour))
			assert.Equal(t, tt.want, w)
			assert.Equal(t, tt.wantLost, time.Duration(lostMs)*time.Millisecond)
			if tt.advance {
				c.advance(w)
			}
			assert.Equal(t, tt.after, c)
			assert.Equal(t, tt.saved, c.saved())
		})
	}
}

func restored(ms int64) cursor {
	var c cursor
	c.restore(ms)
	return c
}

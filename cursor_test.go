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
		at, err := time.Parse("15:04:05", hhmm)
		if err != nil {
			panic(err)
		}
		return time.Date(2026, 12, 1, at.Hour(), at.Minute(), at.Second(), 0, time.UTC).UnixMilli()
	}
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
		{name: "first window from initial_lookback", want: window{ms("11:54:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:54:00")}},
		{name: "taken: moves to the window's end", advance: true, want: window{ms("11:54:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:57:00"), acknowledged: true}, saved: ms("11:57:00")},
		{name: "asked again: stays", start: cursor{afterMs: ms("11:50:00"), acknowledged: true}, want: window{ms("11:50:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:50:00"), acknowledged: true}, saved: ms("11:50:00")},
		{name: "restored from a checkpoint", start: restored(ms("11:40:00")), advance: true, want: window{ms("11:40:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:57:00"), acknowledged: true}, saved: ms("11:57:00")},
		{name: "a checkpoint without a cursor starts from initial_lookback", start: restored(0), want: window{ms("11:54:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:54:00")}},
		{name: "older than the retention: clamped, the loss counted", start: cursor{afterMs: ms("09:30:00"), acknowledged: true},
			want: window{ms("10:01:00"), ms("11:57:00")}, wantLost: 31 * time.Minute,
			after: cursor{afterMs: ms("10:01:00"), acknowledged: true}, saved: ms("10:01:00")},
		{name: "a lookback beyond the retention is clamped, nothing was lost", start: cursor{afterMs: ms("09:57:00")},
			want: window{ms("10:01:00"), ms("11:57:00")}, after: cursor{afterMs: ms("10:01:00")}},
		{name: "GetRegionQualityDetail keeps one hour", retention: time.Hour, start: cursor{afterMs: ms("10:30:00"), acknowledged: true},
			want: window{ms("11:01:00"), ms("11:57:00")}, wantLost: 31 * time.Minute,
			after: cursor{afterMs: ms("11:01:00"), acknowledged: true}, saved: ms("11:01:00")},
		{name: "nothing new yet", start: cursor{afterMs: ms("11:57:00"), acknowledged: true}, want: window{ms("11:57:00"), ms("11:57:00")},
			after: cursor{afterMs: ms("11:57:00"), acknowledged: true}, saved: ms("11:57:00")},
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

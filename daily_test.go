// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// Inside a synctest bubble the clock starts at 2000-01-01 00:00 UTC: 08:00 on January 1st in
// Shanghai, the zone of the simulator's days and of daily::time_zone's default. The simulator
// publishes a day at 02:00 the next day.
var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// dailyConfig is testConfig with the real-time metrics off and metrics on.
func dailyConfig(t *testing.T, metrics ...string) *Config {
	cfg := testConfig()
	setEnabled(t, cfg, false, realtimeNames(usageMetrics)...)
	setEnabled(t, cfg, true, metrics...)
	return cfg
}

// date is the yyyyMMdd of the day starting at ms in Shanghai.
func date(ms int64) string { return msTime(ms).In(shanghai).Format("20060102") }

// shanghaiDays are the 00:00s of the days from (year, month, day) on, n of them, in ms.
func shanghaiDays(month time.Month, d, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = time.Date(1999, month, d+i, 0, 0, 0, 0, shanghai).UnixMilli()
	}
	return out
}

// assertCallsOnlyWhileMissing: no call asks for a day once it is in, and no Shanghai day
// sees more than 48 calls of api.
func assertCallsOnlyWhileMissing(t *testing.T, sim *zegosim.Server, api zegoapi.Action) {
	t.Helper()
	in, perDay := map[int64]bool{}, map[string]int{}
	for _, c := range callsOf(sim, api) {
		assert.False(t, in[c.EndMs], "%s: a call at %v asks for %s, which is in", api, c.Time, date(c.EndMs))
		if c.Code == zegosim.CodeSuccess && c.ToMs == c.EndMs {
			in[c.EndMs] = true
		}
		perDay[c.Time.In(shanghai).Format(time.DateOnly)]++
	}
	for d, n := range perDay {
		assert.LessOrEqual(t, n, 48, "%s: calls on %s", api, d)
	}
}

// In day mode each day is delivered once, at its 00:00 in the zone, with the simulator's
// value, across a restart between two days: the first run stops before January 1st is
// published, the second starts once January 2nd is; neither day is skipped nor sent twice.
// Calls are made only while a day is missing.
func TestDailyDayModeExactlyOnceAcrossRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, pipeline, store := newSim(nil), &recorder{}, newSharedStorage()
		metrics := []string{"zego.daily.publish_count", "zego.daily.user_concurrent", "zego.daily.fft", "zego.daily.login_success_5s"}
		cfg := dailyConfig(t, metrics...)
		cfg.Daily.Timestamps, cfg.StorageID = stampDay, &storageID
		host := hostWith(map[component.ID]component.Component{storageID: store})

		first := start(t, cfg, sim.Transport(), pipeline, host)
		synctest.Wait()
		plan := first.logs.FilterMessage("Polling ZEGO's analytics API").All()
		require.Len(t, plan, 1)
		assert.Equal(t, "GetBizUsage (2 metrics, one value a day, days of Asia/Shanghai, 7 back at the first poll, stamped at the day's 00:00) every 1h0m0s: at most 24 calls a day, only while the newest point that can be published is missing; "+
			"GetBizQuality (2 metrics, one value a day, days of Asia/Shanghai, 7 back at the first poll, stamped at the day's 00:00) every 1h0m0s: at most 24 calls a day, only while the newest point that can be published is missing",
			plan[0].ContextMap()["apis"])
		time.Sleep(17 * time.Hour) // to 01:00 on January 2nd: January 1st is not published yet
		require.NoError(t, first.r.Shutdown(t.Context()))
		time.Sleep(28 * time.Hour) // down until 05:00 on January 3rd
		second := start(t, cfg, sim.Transport(), pipeline, host)
		time.Sleep(48 * time.Hour) // to 05:00 on January 5th
		require.NoError(t, second.r.Shutdown(t.Context()))

		days := append(shanghaiDays(time.December, 25, 7), time.Date(2000, 1, 1, 0, 0, 0, 0, shanghai).UnixMilli(),
			time.Date(2000, 1, 2, 0, 0, 0, 0, shanghai).UnixMilli(), time.Date(2000, 1, 3, 0, 0, 0, 0, shanghai).UnixMilli(),
			time.Date(2000, 1, 4, 0, 0, 0, 0, shanghai).UnixMilli())
		for _, name := range metrics {
			want := make([]point, len(days))
			for i, ms := range days {
				want[i] = point{ms, sim.DailyValue(testAppID, name[len("zego.daily."):], date(ms))}
			}
			assert.Equal(t, want, pipeline.got(name), "%s: December 25th to January 4th, each once at its 00:00", name)
		}
		for _, api := range []zegoapi.Action{zegoapi.ActionBizUsage, zegoapi.ActionBizQuality} {
			assertCallsOnlyWhileMissing(t, sim, api)
			assert.Zero(t, second.counter(t, "polls_skipped", apiAttr(api)), "an empty window is no skipped poll")
		}
	})
}

// By collection time (the default) each day is delivered once, when the receiver first gets
// it, stamped at that moment, so that a backend taking only recent samples takes it. The first
// answer's older days would share that stamp: they are passed over, which is said once.
func TestDailyCollectionTimestamps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, pipeline := newSim(nil), &recorder{}
		x := start(t, dailyConfig(t, "zego.daily.play_count"), sim.Transport(), pipeline, hostWith(nil))
		time.Sleep(45 * time.Hour) // to 05:00 on January 3rd
		require.NoError(t, x.r.Shutdown(t.Context()))

		var want []point
		in := map[int64]bool{}
		for _, c := range callsOf(sim, zegoapi.ActionBizUsage) {
			if c.Points > 0 && !in[c.ToMs] { // a new day: the newest served (the others re-read one)
				in[c.ToMs] = true
				want = append(want, point{c.Time.UnixMilli(), sim.DailyValue(testAppID, "play_count", date(c.ToMs))})
			}
		}
		require.Len(t, want, 3, "December 31st at the first poll, then January 1st and 2nd")
		assert.Equal(t, want, pipeline.got("zego.daily.play_count"))
		assert.Equal(t, time.Date(2000, 1, 2, 2, 0, 1, 0, shanghai).UnixMilli(), want[1].ms, "January 1st when first published, at the poll after 02:00")
		passed := x.logs.FilterMessageSnippet("use timestamps: day to backfill").All()
		require.Len(t, passed, 1)
		assert.Equal(t, zapcore.InfoLevel, passed[0].Level)
		assert.Equal(t, int64(6), passed[0].ContextMap()["points"], "December 25th to 30th")
	})
}

// A plan that keeps fewer days than asked: ZEGO refuses the range with 10002; the receiver
// says once for each smaller plan what to set, asks for what that plan keeps at the next poll
// without backing off, and counts what lies beyond as lost.
func TestDailyPlanRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(func(c *zegosim.Config) { c.DailyRetentionDays = 7 })
		pipeline := &recorder{}
		cfg := dailyConfig(t, "zego.daily.room_concurrent")
		cfg.Daily.Timestamps, cfg.Daily.LookbackDays = stampDay, 90
		x := start(t, cfg, sim.Transport(), pipeline, hostWith(nil))
		time.Sleep(3 * time.Hour)

		calls := callsOf(sim, zegoapi.ActionBizUsage)
		require.Len(t, calls, 3, "90 days refused, 60 refused, 7 served; then yesterday is in")
		assert.Equal(t, []int{zegosim.CodeBadValue, zegosim.CodeBadValue, zegosim.CodeSuccess}, []int{calls[0].Code, calls[1].Code, calls[2].Code})
		assert.Equal(t, time.Hour, calls[1].Time.Sub(calls[0].Time), "no backoff: the next poll asks for less")
		warns := x.logs.FilterMessageSnippet("ZEGO refused a range").All()
		require.Len(t, warns, 2)
		assert.Contains(t, warns[0].Message, "set daily::lookback_days to 60 or less")
		assert.Contains(t, warns[1].Message, "set daily::lookback_days to 7 or less")
		days := shanghaiDays(time.December, 25, 7)
		assert.Equal(t, days[0], calls[2].StartMs, "all the 7 days the plan keeps")
		assert.Len(t, pipeline.got("zego.daily.room_concurrent"), 7)
		assert.Positive(t, x.counter(t, "data_lost", apiAttr(zegoapi.ActionBizUsage)))
		assert.Equal(t, int64(2), x.counter(t, "api_calls", apiAttr(zegoapi.ActionBizUsage), outcomeAttr("permanent")))
	})
}

// A day ZEGO reports again with another value is not sent again: the revision is counted once
// and warned about once; the value first delivered stands.
func TestDailyRevision(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(func(c *zegosim.Config) { c.DailyRevisedAfter = 12 * time.Hour })
		pipeline := &recorder{}
		metrics := []string{"zego.daily.publish_count", "zego.daily.room_concurrent"}
		cfg := dailyConfig(t, metrics...)
		cfg.Daily.Timestamps = stampDay
		x := start(t, cfg, sim.Transport(), pipeline, hostWith(nil))
		time.Sleep(69 * time.Hour) // to 05:00 on January 4th

		// Each call after the first re-read the newest day delivered; those published more than
		// 12 hours before had been revised since they were delivered.
		calls := callsOf(sim, zegoapi.ActionBizUsage)
		revised, deliveredAt := map[int64]bool{}, map[int64]time.Time{}
		for i, c := range calls {
			if reread := c.StartMs; i > 0 && !c.Time.Before(sim.DayPublished(msTime(reread).In(shanghai)).Add(12*time.Hour)) &&
				deliveredAt[reread].Before(sim.DayPublished(msTime(reread).In(shanghai)).Add(12*time.Hour)) {
				revised[reread] = true
			}
			for _, ms := range shanghaiDays(time.December, 25, 10) {
				if _, ok := deliveredAt[ms]; !ok && c.Points > 0 && ms >= c.FromMs && ms <= c.ToMs {
					deliveredAt[ms] = c.Time
				}
			}
		}
		require.Len(t, revised, 3, "December 31st, January 1st and 2nd")
		assert.Equal(t, int64(len(metrics)*len(revised)), x.counter(t, "points_revised", apiAttr(zegoapi.ActionBizUsage)), "each revision once")
		assert.Len(t, x.logs.FilterMessageSnippet("ZEGO reported delivered points again with other values").FilterLevelExact(zapcore.WarnLevel).All(), 1)
		for _, name := range metrics {
			got := pipeline.got(name)
			assert.Len(t, got, 10, "%s: December 25th to January 3rd, once each", name)
			for _, p := range got {
				assert.Equal(t, sim.DailyValueAt(testAppID, name[len("zego.daily."):], date(p.ms), deliveredAt[p.ms]), p.value, "%s of %s: the value first delivered", name, date(p.ms))
			}
		}
	})
}

// Every problem of the daily: section is named at once, with its key.
func TestDailyConfigValidation(t *testing.T) {
	cfg := testConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"metrics": map[string]any{"zego.daily.fft": map[string]any{"enabled": true}},
		"daily":   map[string]any{"timestamps": "utc", "time_zone": "Mars/Olympus_Mons", "lookback_days": 91, "collection_interval": "1m"},
	}).Unmarshal(cfg))
	err := cfg.Validate()
	for _, want := range []error{errBadTimestamps, errBadTimeZone, errBadLookbackDays, errIntervalOverQuota} {
		assert.ErrorIs(t, err, want)
	}
	for _, key := range []string{`daily::timestamps "utc"`, `daily::time_zone "Mars/Olympus_Mons"`, "daily::lookback_days 91", "daily::collection_interval 1m0s", "use 3m1s or more"} {
		assert.ErrorContains(t, err, key)
	}

	for _, zone := range []string{"", "Local"} {
		unnamed := testConfig()
		unnamed.Daily.TimeZone = zone
		assert.ErrorIs(t, unnamed.Validate(), errBadTimeZone, "%q: the zone must be named", zone)
	}
	cfg = testConfig()
	cfg.Daily.Timestamps, cfg.Daily.TimeZone, cfg.Daily.LookbackDays = stampDay, "America/New_York", 90
	assert.NoError(t, cfg.Validate())
}

// The daily guide's table names every daily: key (its yaml blocks are TestDocsConfigs').
func TestDailyGuideNamesEveryKey(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("docs", "daily.md"))
	require.NoError(t, err)
	for _, key := range []string{"timestamps", "time_zone", "lookback_days", "collection_interval"} {
		assert.Contains(t, string(guide), "| `daily::"+key+"` |", "the table names %s", key)
	}
}

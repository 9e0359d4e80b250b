// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dailyQuery asks action for metrics from start to end (yyyyMMdd).
func dailyQuery(action, start, end string, metrics ...string) url.Values {
	q := query(action, metrics...)
	return set(q, "StartTs", "", "EndTs", "", "StartDate", start, "EndDate", end)
}

// The daily Actions: a day is published at 02:00 (Shanghai) the next day, with a deterministic
// value, in the shape ZEGO documents ({Date, Value}); the plan keeps DailyRetentionDays days
// up to yesterday, and an older StartDate gets 10002 with a Message naming the range; a
// revision adds one to a day's values.
func TestDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble starts at 2000-01-01 08:00 in Shanghai.
		s, call := newSim(Config{DailyRetentionDays: 7, DailyRevisedAfter: 10 * time.Hour, Quirks: true, PerMinute: -1})
		days := func(r reply) map[string]map[string]float64 {
			require.Equal(t, CodeSuccess, r.Code, "%s", r.body)
			var obj struct{ Metrics []dailySeries }
			if json.Unmarshal(r.Data, &obj) != nil {
				require.NoError(t, json.Unmarshal(r.Data, &obj.Metrics), "Data as an array")
			}
			out := map[string]map[string]float64{}
			for _, m := range obj.Metrics {
				out[m.Metric] = map[string]float64{}
				for _, v := range m.Values {
					f, err := json.Number(fmt.Sprint(v.Value)).Float64()
					require.NoError(t, err)
					out[m.Metric][v.Date] = f
				}
			}
			return out
		}
		got := days(call(t, dailyQuery(ActionBizUsage, "19991225", "20000101", "publish_count", "room_concurrent")))
		require.Len(t, got["publish_count"], 7, "December 25th to 31st: January 1st is not over")
		assert.Equal(t, s.DailyValue(12345, "publish_count", "19991231"), got["publish_count"]["19991231"], "published at 02:00, less than 10h ago: not revised")
		assert.Equal(t, s.DailyValue(12345, "room_concurrent", "19991225")+1, got["room_concurrent"]["19991225"], "revised 10h after its publication")
		assert.Equal(t, float64(int64(got["publish_count"]["19991231"])), got["publish_count"]["19991231"], "usage values are whole")

		r := call(t, dailyQuery(ActionBizQuality, "19991224", "19991231", "fft"))
		assert.Equal(t, CodeBadValue, r.Code)
		assert.Contains(t, string(r.body), "StartDate 19991224 is before 19991225: the App's plan keeps 7 days")
		for _, q := range [][2]string{{"", "19991231"}, {"19991231", ""}} {
			assert.Equal(t, CodeBadFormat, call(t, dailyQuery(ActionBizQuality, q[0], q[1], "fft")).Code, q)
		}
		for _, q := range [][2]string{{"1999-12-30", "19991231"}, {"19991231", "19991230"}, {"19991232", "19991231"}} {
			assert.Equal(t, CodeBadValue, call(t, dailyQuery(ActionBizQuality, q[0], q[1], "fft")).Code, q)
		}
		assert.Equal(t, CodeBadValue, call(t, dailyQuery(ActionBizQuality, "19991231", "19991231", "publish_count")).Code, "a usage metric of GetBizQuality")

		time.Sleep(17*time.Hour + time.Minute) // 01:01 on January 2nd: not yet
		assert.Empty(t, days(call(t, dailyQuery(ActionBizUsage, "20000101", "20000101", "play_count")))["play_count"])
		time.Sleep(time.Hour) // 02:01
		assert.Len(t, days(call(t, dailyQuery(ActionBizUsage, "20000101", "20000101", "play_count")))["play_count"], 1)
		assert.Equal(t, time.Date(2000, 1, 1, 0, 0, 0, 0, s.zone()).UnixMilli(), s.Calls()[len(s.Calls())-1].ToMs)
	})
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // DailyZone loads in a scratch image too
)

// The daily Actions, ZEGO's operations data: one value a day.
const (
	ActionBizUsage   = "GetBizUsage"
	ActionBizQuality = "GetBizQuality"
)

// BizUsageMetrics and BizQualityMetrics list each daily Action's metrics in ZEGO's order.
var (
	BizUsageMetrics   = []string{"room_concurrent", "user_concurrent", "publish_concurrent", "play_concurrent", "publish_count", "play_count"}
	BizQualityMetrics = []string{"break_rate", "fft", "login_consumed", "publish_success_rate_cdn", "publish_success_rate_rtc", "play_success_rate_cdn", "play_success_rate_l3", "play_success_rate_rtc", "login_success_rate", "login_success_5s"}
)

// bizQualityRanges spans each daily quality metric's values, in BizQualityMetrics' order:
// rates in %, times in ms.
var bizQualityRanges = [][2]float64{{0.5, 3}, {300, 900}, {200, 800}, {97, 100}, {97, 100}, {97, 100}, {97, 100}, {97, 100}, {98, 100}, {95, 100}}

func isDaily(action string) bool { return action == ActionBizUsage || action == ActionBizQuality }

// dailyPoint is a Values element of a daily answer.
type dailyPoint struct {
	Date  string
	Value any // a json.Number, or (a quirk) a string holding one
}

type dailySeries struct {
	Metric string
	Values []dailyPoint
}

// zone is the zone the simulator's days are in.
func (s *Server) zone() *time.Location { return s.cfg.DailyZone }

// Day is 00:00 of the day date (yyyyMMdd) in the simulator's zone; false if date is not one.
func (s *Server) Day(date string) (time.Time, bool) {
	t, err := time.ParseInLocation("20060102", date, s.zone())
	return t, err == nil && len(date) == 8
}

// DayPublished is when the day starting at day is published: DailyPublishAt after the next
// day's 00:00 (T+1).
func (s *Server) DayPublished(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, s.zone()).Add(s.cfg.DailyPublishAt)
}

// oldestDay is the oldest day served at now: the plan keeps DailyRetentionDays days up to
// yesterday.
func (s *Server) oldestDay(now time.Time) time.Time {
	y, m, d := now.In(s.zone()).Date()
	return time.Date(y, m, d-s.cfg.DailyRetentionDays, 0, 0, 0, 0, s.zone())
}

// checkDaily checks a daily Action's StartDate and EndDate, and returns the code and, for a
// refusal, the message.
func (s *Server) checkDaily(c *Call, q url.Values, now time.Time) (int, string) {
	if q.Get("StartDate") == "" || q.Get("EndDate") == "" {
		return CodeBadFormat, "StartDate and EndDate are required"
	}
	start, okStart := s.Day(q.Get("StartDate"))
	end, okEnd := s.Day(q.Get("EndDate"))
	if !okStart || !okEnd || start.After(end) {
		return CodeBadValue, "StartDate and EndDate must be days yyyyMMdd, StartDate first"
	}
	c.StartMs, c.EndMs = start.UnixMilli(), end.UnixMilli()
	if oldest := s.oldestDay(now); start.Before(oldest) {
		return CodeBadValue, fmt.Sprintf("invalid parameter value: StartDate %s is before %s: the App's plan keeps %d days of operations data",
			q.Get("StartDate"), oldest.Format("20060102"), s.cfg.DailyRetentionDays)
	}
	return CodeSuccess, ""
}

// gatherDaily fills c's metrics with the days of [StartDate, EndDate] that are published and
// retained, in day order.
func (s *Server) gatherDaily(c *Call, now time.Time) []dailySeries {
	var days []time.Time
	for d := msTimeIn(c.StartMs, s.zone()); !d.After(msTimeIn(c.EndMs, s.zone())); d = d.AddDate(0, 0, 1) {
		if !s.DayPublished(d).After(now) && !d.Before(s.oldestDay(now)) {
			days = append(days, d)
		}
	}
	out := make([]dailySeries, len(c.Metrics))
	for i, m := range c.Metrics {
		out[i] = dailySeries{Metric: m, Values: make([]dailyPoint, len(days))}
		for j, d := range days {
			v := s.DailyValueAt(c.AppID, m, d.Format("20060102"), now)
			out[i].Values[j] = dailyPoint{d.Format("20060102"), json.Number(strconv.FormatFloat(v, 'f', -1, 64))}
		}
	}
	if len(days) > 0 {
		c.Points, c.FromMs, c.ToMs = len(days)*len(c.Metrics), days[0].UnixMilli(), days[len(days)-1].UnixMilli()
	}
	return out
}

func msTimeIn(ms int64, loc *time.Location) time.Time { return time.UnixMilli(ms).In(loc) }

// DailyValue is the value first published for metric of appID on date (yyyyMMdd): a pure
// function. Usage values are whole numbers; quality values have two decimals.
func (s *Server) DailyValue(appID uint32, metric, date string) float64 {
	day, _ := strconv.ParseInt(date, 10, 64)
	if i := slices.Index(BizUsageMetrics, metric); i >= 0 {
		peak := math.Round(200 * math.Exp2(8*s.unit(appID, 300, 0)) * (0.9 + 0.2*s.unit(appID, 310+i, day)))
		scale := []float64{0.05, 1, 0.3, 0.8, 40, 120}[i] // rooms, users, streams; counts over the day
		return math.Max(1, math.Round(peak*scale))
	}
	i := slices.Index(BizQualityMetrics, metric)
	if i < 0 {
		return 0
	}
	lo, hi := bizQualityRanges[i][0], bizQualityRanges[i][1]
	return math.Round((lo+(hi-lo)*(0.6*s.unit(appID, 320+i, 0)+0.4*s.unit(appID, 340+i, day)))*100) / 100
}

// DailyValueAt is the value served at now: DailyValue, plus one once DailyRevisedAfter has
// passed since the day was published (when set), as a revision of the day would.
func (s *Server) DailyValueAt(appID uint32, metric, date string, now time.Time) float64 {
	v := s.DailyValue(appID, metric, date)
	if day, ok := s.Day(date); ok && s.cfg.DailyRevisedAfter > 0 && !now.Before(s.DayPublished(day).Add(s.cfg.DailyRevisedAfter)) {
		v++
	}
	return v
}

// dailyQuirks writes some values as strings, which ZEGO's contradictions allow, and now and
// then gives Data as an array.
func dailyQuirks(seq uint64, data []dailySeries) (asArray bool) {
	for i := range data {
		for j := range data[i].Values {
			if hashOf(seq, uint64(i), uint64(j))%3 == 0 {
				data[i].Values[j].Value = string(data[i].Values[j].Value.(json.Number))
			}
		}
	}
	return hashOf(seq)%3 == 0
}

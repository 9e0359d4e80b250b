// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// regionNames are the regions served, as ZEGO names them; 其他 ("other") has no ISO code.
var regionNames = []string{"中国", "美国", "巴西", "印度尼西亚", "印度", "中国香港", "中国台湾", "其他"}

// Platforms are GetRegionQualityDetail's platforms, the default first.
var Platforms = []string{"all", "native", "web"}

// RegionBlocks are GetRegionQualityDetail's distributions in ZEGO's order, with their number of
// buckets (Rate1 ... RateN).
var RegionBlocks = []struct {
	Name    string
	Buckets int
}{{"P2pDelayDetail", 4}, {"P2pPlrDetail", 5}, {"VideoBreakDetail", 5}, {"AudioBreakDetail", 5}, {"VideoFFTDetail", 5}, {"AudioFFTDetail", 5}}

// RegionQuality is one region's quality over one minute on one platform, as served.
type RegionQuality struct {
	Blocks                               map[string]Distribution // by ZEGO's name; web has no P2p block
	LoginSuccessRate, LoginSuccessRate5s float64
}

// Distribution is a block: its sample count and the share of each bucket, Rate1 first.
type Distribution struct {
	Total int64
	Rates []float64
}

// RegionNames returns the regions served, in ZEGO's Chinese names.
func (s *Server) RegionNames() []string { return slices.Clone(regionNames) }

// Region is what is served for region on platform of appID at minute tsMs: a pure function, so
// tests can compute what to expect. Totals are whole numbers; rates have four decimals, the
// shares of a block sum to 1, logins succeed at 0.9 to 1.
func (s *Server) Region(appID uint32, platform, region string, tsMs int64) RegionQuality {
	key := 1000*(1+slices.Index(Platforms, platform)) + 100*slices.Index(regionNames, region)
	round4 := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	login := round4(0.95 + 0.05*s.unit(appID, key+90, tsMs))
	q := RegionQuality{Blocks: map[string]Distribution{}, LoginSuccessRate: login, LoginSuccessRate5s: round4(login - 0.05*s.unit(appID, key+91, tsMs))}
	for b, block := range RegionBlocks {
		if platform == "web" && strings.HasPrefix(block.Name, "P2p") { // ZEGO: "some indicators may not support the platform"
			continue
		}
		k := key + 10*b
		// The region's level, then noise: the first bucket, the good one, takes 70 to 99 %.
		first := 0.99 - 0.2*s.unit(appID, k, 0) - 0.09*s.unit(appID, k+1, tsMs)
		weights, sum := make([]float64, block.Buckets-1), 0.0
		for i := range weights {
			weights[i] = s.unit(appID, k+2+i, tsMs)
			sum += weights[i]
		}
		d := Distribution{Total: int64(1 + math.Round(2000*s.unit(appID, k+9, tsMs))), Rates: []float64{round4(first)}}
		left := 1 - d.Rates[0]
		for _, w := range weights[:len(weights)-1] {
			d.Rates = append(d.Rates, round4((1-first)*w/sum))
			left -= d.Rates[len(d.Rates)-1]
		}
		d.Rates = append(d.Rates, max(0, round4(left))) // the rest, so that the shares sum to 1
		q.Blocks[block.Name] = d
	}
	return q
}

// regionMinute is an element of Data.List.
type regionMinute struct {
	Timestamp   int64
	QualityInfo []map[string]any
}

// gatherRegions serves c's minutes of [StartTs, EndTs], published and within the last hour.
func (s *Server) gatherRegions(c *Call, now time.Time) []regionMinute {
	regions := regionNames
	if c.Region != "all" {
		regions = []string{c.Region}
	}
	out := []regionMinute{}
	for _, t := range s.published(c, now, min(s.cfg.Retention, time.Hour)) {
		m := regionMinute{Timestamp: t}
		for _, region := range regions {
			m.QualityInfo = append(m.QualityInfo, s.regionEntry(c.AppID, c.Platform, region, t))
		}
		out = append(out, m)
	}
	if len(out) > 0 {
		c.Points, c.FromMs, c.ToMs = len(out)*len(regions), out[0].Timestamp, out[len(out)-1].Timestamp
	}
	return out
}

// regionEntry renders Region in ZEGO's shape. A block a platform lacks is missing, null, {} or
// [], varying: ZEGO's page says only that it "may be empty".
func (s *Server) regionEntry(appID uint32, platform, region string, tsMs int64) map[string]any {
	q := s.Region(appID, platform, region, tsMs)
	e := map[string]any{"Region": region, "LoginSuccessRateDetail": map[string]any{"LoginSuccessRate": number(q.LoginSuccessRate), "LoginSuccessRate5s": number(q.LoginSuccessRate5s)}}
	for b, block := range RegionBlocks {
		d, ok := q.Blocks[block.Name]
		if !ok {
			switch hashOf(uint64(s.cfg.Seed), uint64(tsMs), uint64(b), uint64(len(region))) % 4 { // 0: missing
			case 1:
				e[block.Name] = nil
			case 2:
				e[block.Name] = map[string]any{}
			case 3:
				e[block.Name] = []any{}
			}
			continue
		}
		fields := map[string]any{"Total": number(float64(d.Total))}
		for i, r := range d.Rates {
			fields["Rate"+strconv.Itoa(i+1)] = number(r)
		}
		e[block.Name] = fields
	}
	return e
}

func number(v float64) json.Number { return json.Number(strconv.FormatFloat(v, 'f', -1, 64)) }

// regionQuirks shuffles the minutes and their regions, writes some numbers as strings and some
// blocks as arrays of one, and now and then repeats a region within a minute.
func regionQuirks(rnd *rand.Rand, list []regionMinute) {
	rnd.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	for i := range list {
		q := list[i].QualityInfo
		rnd.Shuffle(len(q), func(a, b int) { q[a], q[b] = q[b], q[a] })
		for _, e := range q {
			for _, name := range slices.Sorted(maps.Keys(e)) { // sorted: the same seed, the same answer
				fields, ok := e[name].(map[string]any)
				if !ok || len(fields) == 0 {
					continue
				}
				for _, f := range slices.Sorted(maps.Keys(fields)) {
					if rnd.IntN(5) == 0 {
						fields[f] = string(fields[f].(json.Number))
					}
				}
				if rnd.IntN(3) == 0 {
					e[name] = []any{fields}
				}
			}
		}
		if len(q) > 0 && rnd.IntN(4) == 0 {
			q = slices.Insert(q, rnd.IntN(len(q)+1), q[rnd.IntN(len(q))])
		}
		list[i].QualityInfo = q
	}
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// Recorded GetRegionQualityDetail answers through the decoder and regionRequest, every region
// metric enabled. region_quirks.json (platform web) has every shape ZEGO's page allows: blocks
// as arrays of one, null, {} and [] blocks, missing blocks, numbers as strings, minutes and
// regions out of order, a region twice in a minute (the second, different, is dropped), no
// RequestId; and two unusable values (a Rate "n/a" and a Total 12.5).
func TestRecordRegionsGolden(t *testing.T) {
	all := window{afterMs: 0, untilMs: math.MaxInt64}
	tests := []struct {
		answer, platform string
		window           window
		regions          []string // region_quality::regions
		golden           string
		invalid          int
	}{
		{"region_example_zh.json", "all", all, nil, "region_example_zh.yaml", 0},
		{"region_quirks.json", "web", all, nil, "region_quirks.yaml", 2},
		// (…420000, …540000]: the first minute is out; 巴西 is kept by name, 美国 by code (in lower
		// case), 中国香港 is not listed.
		{"region_quirks.json", "web", window{afterMs: 1676961420000, untilMs: 1676961540000}, []string{"巴西", "us"}, "region_quirks_filtered.yaml", 2},
	}
	cfg := testConfig()
	setEnabled(t, cfg, true, regionMetricNames()...)
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "answers", tt.answer))
			require.NoError(t, err)
			answer, err := zegoapi.Decode(body)
			require.NoError(t, err)
			mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, receivertest.NewNopSettings(metadata.Type), metadata.WithStartTime(0))
			invalid := regionRequest{tt.platform, regionFilter(tt.regions)}.record(mb, answer, tt.window.contains)
			assert.Equal(t, tt.invalid, invalid+answer.Invalid, "unusable values")
			rb := mb.NewResourceBuilder()
			rb.SetZegoAppID("12345")
			actual := mb.Emit(metadata.WithResource(rb.Emit()))
			last := map[string]pcommon.Timestamp{} // golden files sort points: time order is checked here
			forEachPoint(actual.ResourceMetrics().At(0), func(metric string, dp pmetric.NumberDataPoint) {
				assert.GreaterOrEqual(t, dp.Timestamp(), last[metric], "%s in time order", metric)
				last[metric] = dp.Timestamp()
			})
			assertGolden(t, tt.golden, actual, pmetrictest.IgnoreMetricDataPointsOrder())
		})
	}
}

func TestISOCode(t *testing.T) {
	for name, want := range map[string]string{
		"中国": "CN", "美国": "US", "巴西": "BR", "印度尼西亚": "ID", "英国": "GB", "德国": "DE", "韩国": "KR",
		"中国香港": "HK", "中国澳门": "MO", "中国台湾": "TW", // ZEGO's spellings
		"中国香港特别行政区": "HK", "台湾": "TW", // CLDR's
		"其他": "", "": "", "China": "", "欧盟": "", "科索沃": "", "联合国": "", "阿森松岛": "",
	} {
		assert.Equal(t, want, isoCode(name), name)
	}
	assert.Len(t, isoCodes(), 249+3, "ISO 3166-1's 249 countries, each under one name, and ZEGO's three spellings")
}

// With every region metric enabled and platforms [all, web], each (minute, region, platform,
// block, bucket) arrives exactly once, late minutes too, with ZEGO's value and the region's ISO
// code, each platform on its own cursor, within the interface's one quota; usage polls as before.
func TestRegionQualityExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One minute in twenty published 8 s late: those come behind the cursor, once.
		sim := newSim(func(c *zegosim.Config) { c.Quirks, c.LateEvery, c.LateBy = true, 20, lateBy })
		cfg := testConfig()
		enableQuality(t, cfg)
		setEnabled(t, cfg, true, regionMetricNames()...)
		cfg.InitialLookback, cfg.RegionQuality.Platforms = 10*time.Minute, []string{"all", "web"}
		require.NoError(t, cfg.Validate())
		pipeline := &recorder{}
		x := start(t, cfg, sim.Transport(), pipeline, componenttest.NewNopHost())
		plan := x.logs.FilterMessage("Polling ZEGO's analytics API").All()[0].ContextMap()["apis"]
		assert.Contains(t, plan, "; GetRegionQualityDetail (14 metrics, platforms all and web) every 6m1s: 478 calls a day")
		time.Sleep(3 * time.Hour)
		require.NoError(t, x.r.Shutdown(t.Context()))
		// What a poll passed in its last 8 s may be unpublished still: it is checked up to there.
		region := pollerFor(x.r, zegoapi.ActionRegion)
		checkedUntil := map[string]int64{}
		for i, platform := range cfg.RegionQuality.Platforms {
			checkedUntil[platform] = region.targets[i].cursor.afterMs - lateBy.Milliseconds()
		}

		key := func(metric, platform, region, bucket string, ms int64) string {
			return fmt.Sprintf("%s %s %s %s %s %d", metric, platform, region, isoCode(region), bucket, ms)
		}
		got := map[string][]float64{}
		for _, md := range pipeline.AllMetrics() {
			for _, rm := range md.ResourceMetrics().All() {
				forEachPoint(rm, func(metric string, dp pmetric.NumberDataPoint) {
					platform, _ := dp.Attributes().Get("zego.platform")
					if !strings.HasPrefix(metric, "zego.region.") || int64(dp.Timestamp())/1e6 > checkedUntil[platform.Str()] {
						return
					}
					attr := func(k string) string {
						if v, ok := dp.Attributes().Get(k); ok {
							return v.AsString()
						}
						return ""
					}
					k := key(metric, attr("zego.platform"), attr("zego.region"), attr("zego.bucket"), int64(dp.Timestamp())/1e6)
					if attr("geo.country.iso_code") != isoCode(attr("zego.region")) {
						t.Errorf("%s: geo.country.iso_code %q", k, attr("geo.country.iso_code"))
					}
					got[k] = append(got[k], dp.DoubleValue()+float64(dp.IntValue()))
				})
			}
		}
		want := map[string][]float64{}
		// ZEGO's blocks, the metrics they feed and their buckets' labels, as docs/zego-api.md has them.
		breaks, firstFrames := []string{"0%", "0-20%", "20-50%", "50-100%", "100%"}, []string{"0-500ms", "500-1000ms", "1000-2000ms", "2000-5000ms", "5000ms+"}
		blocks := []struct {
			zego, metric string
			buckets      []string
		}{
			{"P2pDelayDetail", "zego.region.peer_to_peer_delay", []string{"0-400ms", "400-600ms", "600-800ms", "800ms+"}},
			{"P2pPlrDetail", "zego.region.peer_to_peer_packet_loss", []string{"0%", "0-5%", "5-10%", "10-50%", "50-100%"}},
			{"VideoBreakDetail", "zego.region.video_break", breaks},
			{"AudioBreakDetail", "zego.region.audio_break", breaks},
			{"VideoFFTDetail", "zego.region.video_first_frame", firstFrames},
			{"AudioFFTDetail", "zego.region.audio_first_frame", firstFrames},
		}
		calls := callsOf(sim, zegoapi.ActionRegion)
		for _, platform := range cfg.RegionQuality.Platforms {
			from := calls[slices.IndexFunc(calls, func(c zegosim.Call) bool { return c.Platform == platform })].StartMs
			for _, ms := range sim.PointTimes(zegosim.ActionRegion, from, checkedUntil[platform]) {
				for _, name := range sim.RegionNames() {
					q := sim.Region(testAppID, platform, name, ms)
					for _, block := range blocks {
						if d, ok := q.Blocks[block.zego]; ok {
							want[key(block.metric+".samples", platform, name, "", ms)] = []float64{float64(d.Total)}
							for j, bucket := range block.buckets {
								want[key(block.metric+".ratio", platform, name, bucket, ms)] = []float64{d.Rates[j]}
							}
						}
					}
					want[key("zego.region.login_success_rate", platform, name, "", ms)] = []float64{q.LoginSuccessRate}
					want[key("zego.region.login_success_rate_5s", platform, name, "", ms)] = []float64{q.LoginSuccessRate5s}
				}
			}
		}
		assert.Greater(t, len(want), 2*170*8*30, "both platforms, about 170 minutes, 8 regions, 30-odd series each")
		if len(got) != len(want) { // not assert.Len: printing the map would take minutes
			t.Errorf("%d distinct points, want %d", len(got), len(want))
		}
		for k, v := range want {
			if !slices.Equal(v, got[k]) {
				t.Fatalf("%s: got %v, want %v", k, got[k], v)
			}
		}

		assert.LessOrEqual(t, maxInWindow(calls, time.Minute), 3, "the platforms share the interface's quota")
		for _, c := range calls {
			assert.Equal(t, zegosim.CodeSuccess, c.Code)
		}
		assert.Len(t, callsOf(sim, zegoapi.ActionUsage), 60, "usage still polls every 3m1s")
	})
}

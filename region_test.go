package zegoreceiver

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// Recorded GetRegionQualityDetail answers through the decoder and recordRegions, every region
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
		newestMs         int64
	}{
		{"region_example_zh.json", "all", all, nil, "region_example_zh.yaml", 0, 1676961480000},
		{"region_quirks.json", "web", all, nil, "region_quirks.yaml", 2, 1676961540000},
		// (…420000, …540000]: the first minute is out; 巴西 is kept by name, 美国 by code (in lower
		// case), 中国香港 is not listed.
		{"region_quirks.json", "web", window{afterMs: 1676961420000, untilMs: 1676961540000}, []string{"巴西", "us"}, "region_quirks_filtered.yaml", 2, 1676961540000},
	}
	cfg := testConfig()
	var names []string
	for _, m := range regionMetrics {
		names = append(names, m.name)
	}
	setEnabled(t, cfg, true, names...)
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "answers", tt.answer))
			require.NoError(t, err)
			answer, err := zegoapi.Decode(body)
			require.NoError(t, err)
			mb := metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, receivertest.NewNopSettings(metadata.Type), metadata.WithStartTime(0))
			invalid, newestMs := recordRegions(mb, answer, tt.window, tt.platform, regionFilter(tt.regions))
			assert.Equal(t, tt.invalid, invalid, "unusable values")
			assert.Equal(t, tt.newestMs, newestMs)
			rb := mb.NewResourceBuilder()
			rb.SetZegoAppID("12345")
			actual := mb.Emit(metadata.WithResource(rb.Emit()))
			last := map[string]pcommon.Timestamp{} // golden files sort points: time order is checked here
			forEachPoint(actual, func(metric string, dp pmetric.NumberDataPoint) {
				assert.GreaterOrEqual(t, dp.Timestamp(), last[metric], "%s in time order", metric)
				last[metric] = dp.Timestamp()
			})

			path := filepath.Join("testdata", "golden", tt.golden)
			if *updateGolden {
				require.NoError(t, golden.WriteMetrics(t, path, actual, golden.SkipMetricTimestampNormalization()))
			}
			expected, err := golden.ReadMetrics(path)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(expected, actual, pmetrictest.IgnoreMetricDataPointsOrder()))
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

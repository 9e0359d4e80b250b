// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

type (
	ratioRecorder   func(*metadata.MetricsBuilder, pcommon.Timestamp, float64, string, metadata.AttributeZegoPlatform, string, ...metadata.MetricAttributeOption)
	samplesRecorder func(*metadata.MetricsBuilder, pcommon.Timestamp, int64, string, metadata.AttributeZegoPlatform, ...metadata.MetricAttributeOption)
)

// distributionMetrics record each of ZEGO's distributions (zegoapi.RegionBlocks, by the metric
// each feeds) as the share of each bucket and the number of samples.
var distributionMetrics = map[string]struct {
	ratio   ratioRecorder
	samples samplesRecorder
}{
	"peer_to_peer_delay":       {(*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerDelayRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerDelaySamplesDataPoint},
	"peer_to_peer_packet_loss": {(*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerPacketLossRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerPacketLossSamplesDataPoint},
	"video_break":              {(*metadata.MetricsBuilder).RecordZegoRegionVideoBreakRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionVideoBreakSamplesDataPoint},
	"audio_break":              {(*metadata.MetricsBuilder).RecordZegoRegionAudioBreakRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionAudioBreakSamplesDataPoint},
	"video_first_frame":        {(*metadata.MetricsBuilder).RecordZegoRegionVideoFirstFrameRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionVideoFirstFrameSamplesDataPoint},
	"audio_first_frame":        {(*metadata.MetricsBuilder).RecordZegoRegionAudioFirstFrameRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionAudioFirstFrameSamplesDataPoint},
}

// regionMetricNames are GetRegionQualityDetail's metrics: a pair for each distribution, and the
// two login success rates.
func regionMetricNames() []string {
	var names []string
	for _, b := range zegoapi.RegionBlocks {
		names = append(names, "zego.region."+b.Metric+".ratio", "zego.region."+b.Metric+".samples")
	}
	return append(names, "zego.region.login_success_rate", "zego.region.login_success_rate_5s")
}

// regionSchedule calls GetRegionQualityDetail once for each platform, every regionInterval.
func regionSchedule(cfg *Config, _ map[string]bool, _ *zap.Logger) schedule {
	keep := regionFilter(cfg.RegionQuality.Regions)
	s := schedule{interval: cfg.regionInterval(), intervalKey: "region_quality::collection_interval", timing: realtimeTiming(cfg, time.Hour)}
	for _, platform := range cfg.RegionQuality.Platforms {
		s.requests = append(s.requests, regionRequest{platform, keep})
	}
	s.detail = "platforms " + strings.Join(cfg.RegionQuality.Platforms, " and ")
	return s
}

// regionRequest asks GetRegionQualityDetail for every region of one platform, and keeps the
// regions region_quality::regions lists (keep(name, iso)).
type regionRequest struct {
	platform string
	keep     func(name, iso string) bool
}

func (r regionRequest) name() string { return string(zegoapi.ActionRegion) + "/" + r.platform }

func (r regionRequest) query(afterMs, untilMs int64) zegoapi.Query {
	return zegoapi.Query{Action: zegoapi.ActionRegion, Region: "all", Platform: r.platform, StartMs: afterMs, EndMs: untilMs + 1}
}

// record records each (minute, region) once.
func (r regionRequest) record(mb *metadata.MetricsBuilder, a *zegoapi.Answer, take func(int64) bool) (invalid int) {
	entries := slices.DeleteFunc(slices.Clone(a.Regions), func(e zegoapi.RegionQuality) bool { return !take(e.TimestampMs) })
	slices.SortStableFunc(entries, func(x, y zegoapi.RegionQuality) int { return cmp.Compare(x.TimestampMs, y.TimestampMs) })
	type entryKey struct {
		ms     int64
		region string
	}
	seen := map[entryKey]bool{}
	plat := metadata.MapAttributeZegoPlatform[r.platform]
	for _, e := range entries {
		iso, k := isoCode(e.Region), entryKey{e.TimestampMs, e.Region}
		if seen[k] || !r.keep(e.Region, iso) {
			continue
		}
		seen[k] = true
		invalid += e.Invalid
		ts := pcommon.Timestamp(e.TimestampMs * int64(time.Millisecond))
		var opts []metadata.MetricAttributeOption
		if iso != "" {
			opts = append(opts, metadata.WithGeoCountryIsoCodeMetricAttribute(iso))
		}
		for _, d := range e.Distributions {
			m := distributionMetrics[d.Block.Metric]
			if d.HasTotal {
				m.samples(mb, ts, d.Total, e.Region, plat, opts...)
			}
			for _, s := range d.Shares {
				m.ratio(mb, ts, s.Ratio, e.Region, plat, s.Bucket, opts...)
			}
		}
		if v := e.LoginSuccessRate; v != nil {
			mb.RecordZegoRegionLoginSuccessRateDataPoint(ts, *v, e.Region, plat, opts...)
		}
		if v := e.LoginSuccessRate5s; v != nil {
			mb.RecordZegoRegionLoginSuccessRate5sDataPoint(ts, *v, e.Region, plat, opts...)
		}
	}
	return invalid
}

// regionFilter keeps the regions listed by ZEGO's name or by ISO code (in any case); an empty
// list keeps every region.
func regionFilter(list []string) func(name, iso string) bool {
	if len(list) == 0 {
		return func(string, string) bool { return true }
	}
	listed := map[string]bool{}
	for _, r := range list {
		listed[r], listed[strings.ToUpper(r)] = true, true
	}
	return func(name, iso string) bool { return listed[name] || iso != "" && listed[iso] }
}

// isoCode is the ISO 3166-1 alpha-2 code of a region ZEGO names in Chinese, "" when none.
func isoCode(zegoName string) string { return isoCodes()[zegoName] }

// isoCodes maps CLDR's simplified Chinese name of each ISO 3166-1 country to its code, and the
// spellings ZEGO uses that CLDR does not.
var isoCodes = sync.OnceValue(func() map[string]string {
	// CLDR: 中国香港特别行政区, 中国澳门特别行政区, 台湾.
	codes := map[string]string{"中国香港": "HK", "中国澳门": "MO", "中国台湾": "TW"}
	names := display.Regions(language.SimplifiedChinese)
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r, err := language.ParseRegion(string([]rune{a, b}))
			// Countries only: no groupings (EU), private use (XK, ZZ), deprecated codes (DD, BU), nor
			// codes ISO only reserves (AC, EA, UN), which have no numeric code.
			if err != nil || !r.IsCountry() || r.IsPrivateUse() || r.Canonicalize() != r || r.M49() == 0 {
				continue
			}
			if name := names.Name(r); name != "" { // former codes CLDR no longer names (SU, YU)
				codes[name] = r.String()
			}
		}
	}
	return codes
})

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// regionMetrics are GetRegionQualityDetail's metrics. recordRegions records them from whole
// entries, so none has a ZEGO metric name (api) or a record func of its own.
var regionMetrics = []metricSpec{
	{name: "zego.region.peer_to_peer_delay.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionPeerToPeerDelayRatio.Enabled }},
	{name: "zego.region.peer_to_peer_delay.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionPeerToPeerDelaySamples.Enabled }},
	{name: "zego.region.peer_to_peer_packet_loss.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionPeerToPeerPacketLossRatio.Enabled }},
	{name: "zego.region.peer_to_peer_packet_loss.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionPeerToPeerPacketLossSamples.Enabled }},
	{name: "zego.region.video_break.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionVideoBreakRatio.Enabled }},
	{name: "zego.region.video_break.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionVideoBreakSamples.Enabled }},
	{name: "zego.region.audio_break.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionAudioBreakRatio.Enabled }},
	{name: "zego.region.audio_break.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionAudioBreakSamples.Enabled }},
	{name: "zego.region.video_first_frame.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionVideoFirstFrameRatio.Enabled }},
	{name: "zego.region.video_first_frame.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionVideoFirstFrameSamples.Enabled }},
	{name: "zego.region.audio_first_frame.ratio", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionAudioFirstFrameRatio.Enabled }},
	{name: "zego.region.audio_first_frame.samples", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionAudioFirstFrameSamples.Enabled }},
	{name: "zego.region.login_success_rate", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionLoginSuccessRate.Enabled }},
	{name: "zego.region.login_success_rate_5s", enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRegionLoginSuccessRate5s.Enabled }},
}

var (
	breakBuckets      = []string{"0%", "0-20%", "20-50%", "50-100%", "100%"}
	firstFrameBuckets = []string{"0-500ms", "500-1000ms", "1000-2000ms", "2000-5000ms", "5000ms+"}
)

// regionBlocks are an entry's distributions: ZEGO's block, the zego.bucket of its Rate1,
// Rate2, ..., and the metrics of its shares and of its Total.
var regionBlocks = []struct {
	zego    string
	buckets []string
	ratio   func(*metadata.MetricsBuilder, pcommon.Timestamp, float64, string, metadata.AttributeZegoPlatform, string, ...metadata.MetricAttributeOption)
	samples func(*metadata.MetricsBuilder, pcommon.Timestamp, int64, string, metadata.AttributeZegoPlatform, ...metadata.MetricAttributeOption)
}{
	{"P2pDelayDetail", []string{"0-400ms", "400-600ms", "600-800ms", "800ms+"}, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerDelayRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerDelaySamplesDataPoint},
	{"P2pPlrDetail", []string{"0%", "0-5%", "5-10%", "10-50%", "50-100%"}, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerPacketLossRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionPeerToPeerPacketLossSamplesDataPoint},
	{"VideoBreakDetail", breakBuckets, (*metadata.MetricsBuilder).RecordZegoRegionVideoBreakRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionVideoBreakSamplesDataPoint},
	{"AudioBreakDetail", breakBuckets, (*metadata.MetricsBuilder).RecordZegoRegionAudioBreakRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionAudioBreakSamplesDataPoint},
	{"VideoFFTDetail", firstFrameBuckets, (*metadata.MetricsBuilder).RecordZegoRegionVideoFirstFrameRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionVideoFirstFrameSamplesDataPoint},
	{"AudioFFTDetail", firstFrameBuckets, (*metadata.MetricsBuilder).RecordZegoRegionAudioFirstFrameRatioDataPoint, (*metadata.MetricsBuilder).RecordZegoRegionAudioFirstFrameSamplesDataPoint},
}

// recordRegions adds to mb the region points of a that lie in w (timestamps in (w.afterMs, w.untilMs]),
// for platform, keeping only the regions keep accepts (keep(name, iso)); each (minute, region) once
// (the first in answer order wins), in ascending time order. It returns the unusable values it met
// (a.Invalid included, as convert does) and the newest timestamp recorded.
func recordRegions(mb *metadata.MetricsBuilder, a *zegoapi.Answer, w window, platform string, keep func(name, iso string) bool) (invalid int, newestMs int64) {
	var entries []zegoapi.RegionQuality
	for _, e := range a.Regions {
		if e.TimestampMs > w.afterMs && e.TimestampMs <= w.untilMs {
			entries = append(entries, e)
		}
	}
	slices.SortStableFunc(entries, func(x, y zegoapi.RegionQuality) int { return cmp.Compare(x.TimestampMs, y.TimestampMs) })
	type entryKey struct {
		ms     int64
		region string
	}
	seen := map[entryKey]bool{}
	plat := metadata.MapAttributeZegoPlatform[platform]
	for _, e := range entries {
		iso, k := isoCode(e.Region), entryKey{e.TimestampMs, e.Region}
		if seen[k] || !keep(e.Region, iso) {
			continue
		}
		seen[k] = true
		ts := pcommon.Timestamp(e.TimestampMs * int64(time.Millisecond))
		var opts []metadata.MetricAttributeOption
		if iso != "" {
			opts = append(opts, metadata.WithGeoCountryIsoCodeMetricAttribute(iso))
		}
		for _, b := range regionBlocks {
			fields := e.Blocks[b.zego]
			if total, ok := fields["Total"]; ok && total == math.Trunc(total) && math.Abs(total) < 1<<63 {
				b.samples(mb, ts, int64(total), e.Region, plat, opts...)
			} else if ok {
				invalid++
			}
			for i, bucket := range b.buckets {
				if v, ok := fields["Rate"+strconv.Itoa(i+1)]; ok {
					b.ratio(mb, ts, v, e.Region, plat, bucket, opts...)
				}
			}
		}
		login := e.Blocks["LoginSuccessRateDetail"]
		if v, ok := login["LoginSuccessRate"]; ok {
			mb.RecordZegoRegionLoginSuccessRateDataPoint(ts, v, e.Region, plat, opts...)
		}
		if v, ok := login["LoginSuccessRate5s"]; ok {
			mb.RecordZegoRegionLoginSuccessRate5sDataPoint(ts, v, e.Region, plat, opts...)
		}
		newestMs = e.TimestampMs
	}
	return a.Invalid + invalid, newestMs
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

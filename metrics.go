package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// apiSpec is one ZEGO interface the receiver polls, with the metrics it serves in ZEGO's
// documented order (the order of Metrics[] in requests), and how far back ZEGO keeps its data.
type apiSpec struct {
	action    zegoapi.Action
	attr      metadata.AttributeAPI
	metrics   []metricSpec
	retention time.Duration
}

// metricSpec ties an emitted metric to the ZEGO metric it comes from.
type metricSpec struct {
	name    string // as emitted
	api     string // as ZEGO names it in Metrics[]
	enabled func(metadata.MetricsConfig) bool
	// record adds a point to mb, or reports false when v does not fit the metric.
	record func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool
}

var apiSpecs = []apiSpec{
	{zegoapi.ActionUsage, metadata.AttributeAPIGetRealtimeUsage, []metricSpec{
		{"zego.realtime.publish_concurrent", "publish_concurrent", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePublishConcurrent.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimePublishConcurrentDataPoint)},
		{"zego.realtime.play_concurrent", "play_concurrent", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePlayConcurrent.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimePlayConcurrentDataPoint)},
		{"zego.realtime.room_concurrent", "room_concurrent", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeRoomConcurrent.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimeRoomConcurrentDataPoint)},
		{"zego.realtime.online_user", "online_user", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeOnlineUser.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimeOnlineUserDataPoint)},
		{"zego.realtime.max_room_user", "max_room_user", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeMaxRoomUser.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimeMaxRoomUserDataPoint)},
		{"zego.realtime.mix_concurrent", "mix_concurrent", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeMixConcurrent.Enabled }, count((*metadata.MetricsBuilder).RecordZegoRealtimeMixConcurrentDataPoint)},
	}, 2 * time.Hour},
	{zegoapi.ActionQuality, metadata.AttributeAPIGetRealtimeQuality, []metricSpec{
		{"zego.realtime.video_break_rate", "video_break_rate", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeVideoBreakRate.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimeVideoBreakRateDataPoint)},
		{"zego.realtime.audio_break_rate", "audio_break_rate", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeAudioBreakRate.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimeAudioBreakRateDataPoint)},
		{"zego.realtime.uplink_rtt", "uplink_rtt", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeUplinkRtt.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimeUplinkRttDataPoint)},
		{"zego.realtime.downlink_rtt", "downlink_rtt", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeDownlinkRtt.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimeDownlinkRttDataPoint)},
		{"zego.realtime.peer_to_peer_delay", "peer_to_peer_delay", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePeerToPeerDelay.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimePeerToPeerDelayDataPoint)},
		{"zego.realtime.publish_success_rate", "publish_success_rate", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePublishSuccessRate.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimePublishSuccessRateDataPoint)},
		{"zego.realtime.play_success_rate", "play_success_rate", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePlaySuccessRate.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimePlaySuccessRateDataPoint)},
		{"zego.realtime.login_success_rate", "login_success_rate", func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeLoginSuccessRate.Enabled }, measure((*metadata.MetricsBuilder).RecordZegoRealtimeLoginSuccessRateDataPoint)},
	}, 2 * time.Hour},
	{zegoapi.ActionRegion, metadata.AttributeAPIGetRegionQualityDetail, regionMetrics, time.Hour}, // recorded by recordRegions
}

// count records a usage value, a count of streams, rooms, users or tasks, as an int gauge; a
// value that is not a whole number does not fit.
func count(record func(*metadata.MetricsBuilder, pcommon.Timestamp, int64)) func(*metadata.MetricsBuilder, pcommon.Timestamp, float64) bool {
	return func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool {
		if v != math.Trunc(v) || math.Abs(v) >= 1<<63 {
			return false
		}
		record(mb, ts, int64(v))
		return true
	}
}

// measure records a quality value, a rate or a latency, as a double gauge, exactly as ZEGO sent it.
func measure(record func(*metadata.MetricsBuilder, pcommon.Timestamp, float64)) func(*metadata.MetricsBuilder, pcommon.Timestamp, float64) bool {
	return func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v float64) bool {
		record(mb, ts, v)
		return true
	}
}

// enabledMetrics returns spec's metrics that cfg enables; with none, the interface is not called.
func (spec apiSpec) enabledMetrics(cfg metadata.MetricsConfig) []metricSpec {
	var out []metricSpec
	for _, m := range spec.metrics {
		if m.enabled(cfg) {
			out = append(out, m)
		}
	}
	return out
}

func metricNames() []string {
	var names []string
	for _, spec := range apiSpecs {
		for _, m := range spec.metrics {
			names = append(names, m.name)
		}
	}
	return names
}

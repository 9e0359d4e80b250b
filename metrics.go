package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// metricDef ties a metric this receiver emits to the API metric it comes from.
type metricDef struct {
	name    string // emitted metric name
	api     string // Metrics[] value in the request
	enabled func(metadata.MetricsConfig) bool
	record  func(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, v int64)
}

// metricDefs is in the API's documented order, which is the order of Metrics[] in requests.
var metricDefs = []metricDef{
	{
		name: "zego.realtime.publish_concurrent", api: zegoapi.MetricPublishConcurrent,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePublishConcurrent.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimePublishConcurrentDataPoint,
	},
	{
		name: "zego.realtime.play_concurrent", api: zegoapi.MetricPlayConcurrent,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimePlayConcurrent.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimePlayConcurrentDataPoint,
	},
	{
		name: "zego.realtime.room_concurrent", api: zegoapi.MetricRoomConcurrent,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeRoomConcurrent.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimeRoomConcurrentDataPoint,
	},
	{
		name: "zego.realtime.online_user", api: zegoapi.MetricOnlineUser,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeOnlineUser.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimeOnlineUserDataPoint,
	},
	{
		name: "zego.realtime.max_room_user", api: zegoapi.MetricMaxRoomUser,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeMaxRoomUser.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimeMaxRoomUserDataPoint,
	},
	{
		name: "zego.realtime.mix_concurrent", api: zegoapi.MetricMixConcurrent,
		enabled: func(c metadata.MetricsConfig) bool { return c.ZegoRealtimeMixConcurrent.Enabled },
		record:  (*metadata.MetricsBuilder).RecordZegoRealtimeMixConcurrentDataPoint,
	},
}

func metricNames() []string {
	names := make([]string, len(metricDefs))
	for i, d := range metricDefs {
		names[i] = d.name
	}
	return names
}

// enabledMetrics returns the definitions of the metrics the config enables, in request order.
func enabledMetrics(cfg metadata.MetricsBuilderConfig) []metricDef {
	var defs []metricDef
	for _, d := range metricDefs {
		if d.enabled(cfg.Metrics) {
			defs = append(defs, d)
		}
	}
	return defs
}

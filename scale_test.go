// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
)

// A batch of success rates in the wrong scale is said once, with the fix; percent is quiet.
func TestScaleCheck(t *testing.T) {
	tests := []struct {
		name          string
		success, stut []float64 // publish success rates, video stutter rates
		want          string    // the start of the warning, "" for none
	}{
		{"percent", slices.Repeat([]float64{98.5}, 10), slices.Repeat([]float64{0.4}, 10), ""},
		{"fractions", slices.Repeat([]float64{0.985}, 10), nil, "ZEGO's success rates look like fractions"},
		{"too few to tell", slices.Repeat([]float64{0.985}, minScaleEvidence-1), nil, ""},
		{"all zero tells nothing", slices.Repeat([]float64{0}, 10), nil, ""},
		{"stutter rates alone tell nothing", nil, slices.Repeat([]float64{0.4}, 20), ""},
		{"above 100", []float64{99, 120}, nil, "A success rate above 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := metadata.NewDefaultMetricsBuilderConfig()
			cfg.Metrics.ZegoRealtimePublishSuccessRate.Enabled = true
			cfg.Metrics.ZegoRealtimeVideoBreakRate.Enabled = true
			core, logs := observer.New(zap.WarnLevel)
			s := scaleCheck{logger: zap.New(core)}
			for range 2 { // the same evidence again: still once
				mb := metadata.NewMetricsBuilder(cfg, receivertest.NewNopSettings(metadata.Type))
				for i, v := range tt.success {
					mb.RecordZegoRealtimePublishSuccessRateDataPoint(pcommon.Timestamp(i+1), v)
				}
				for i, v := range tt.stut {
					mb.RecordZegoRealtimeVideoBreakRateDataPoint(pcommon.Timestamp(i+1), v)
				}
				s.check(mb.Emit())
			}
			if tt.want == "" {
				assert.Zero(t, logs.Len(), "no warning")
				return
			}
			if assert.Equal(t, 1, logs.Len(), "one warning") {
				assert.Contains(t, logs.All()[0].Message, tt.want)
			}
		})
	}
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
)

// minScaleEvidence is how many success-rate points a batch must hold before their scale is judged:
// a handful of bad minutes could sit below 1 in percent too.
const minScaleEvidence = 10

// scaleCheck watches the one assumption the shipped alerts rest on that ZEGO's pages leave open:
// that rates in % are 0-100, not 0-1. Success rates tell the two apart (a healthy one is near 100
// or near 1; stutter rates are small either way), so a batch whose success rates are all at most 1,
// some above 0, contradicts it; so does one above 100. Either is logged once, with the fix.
type scaleCheck struct {
	logger *zap.Logger
	warned bool
}

func (s *scaleCheck) check(md pmetric.Metrics) {
	if s.warned {
		return
	}
	var n int
	var most float64
	var example string
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Unit() != "%" || !strings.Contains(m.Name(), "success") || m.Type() != pmetric.MetricTypeGauge {
					continue
				}
				for _, dp := range m.Gauge().DataPoints().All() {
					n++
					if v := dp.DoubleValue(); v >= most {
						most, example = v, m.Name()
					}
				}
			}
		}
	}
	switch {
	case most > 100:
		s.warned = true
		s.logger.Warn("A success rate above 100 contradicts the unit %: ZEGO may have changed its scale; check the values against ZEGO's console before trusting the success-rate alerts",
			zap.String("metric", example), zap.Float64("value", most))
	case n >= minScaleEvidence && most > 0 && most <= 1:
		s.warned = true
		s.logger.Warn("ZEGO's success rates look like fractions (0-1), not the percent (0-100) this receiver's unit % and the shipped alerts (success below 90) assume: "+
			"scale them by 100 in a transform processor, or divide the alert thresholds by 100 (docs/troubleshooting.md, \"Success rates look like fractions\")",
			zap.String("metric", example), zap.Float64("highest", most), zap.Int("points", n))
	}
}

package zegoreceiver

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.yaml from the current output")

// Recorded answers (the client's testdata, ZEGO's quirks included) through the
// decoder and the conversion, compared with golden metrics.
func TestConvertGolden(t *testing.T) {
	all := window{afterMs: 0, untilMs: math.MaxInt64}
	tests := []struct {
		answer string // in internal/zegoapi/testdata
		window window
		golden string
	}{
		{answer: "example_zh.json", window: all, golden: "example_zh.yaml"},
		{answer: "unsorted_repeated.json", window: all, golden: "unsorted_repeated.yaml"},
		// (…097767, …099767]: the point at the exclusive start and those after the end are dropped.
		{answer: "unsorted_repeated.json", window: window{afterMs: 1660634097767, untilMs: 1660634099767}, golden: "unsorted_repeated_window.yaml"},
		{answer: "float_values.json", window: all, golden: "float_values.yaml"},
		{answer: "invalid_values.json", window: all, golden: "invalid_values.yaml"},
		{answer: "data_array_metrics.json", window: all, golden: "data_array_metrics.yaml"},
		{answer: "timestamps.json", window: all, golden: "timestamps.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("internal", "zegoapi", "testdata", tt.answer))
			require.NoError(t, err)
			answer, err := zegoapi.Decode(body)
			require.NoError(t, err)

			h := newHarness(t, testConfig())
			actual, _ := h.r.convert(answer, tt.window)

			path := filepath.Join("testdata", "golden", tt.golden)
			if *updateGolden {
				require.NoError(t, golden.WriteMetrics(t, path, actual, golden.SkipMetricTimestampNormalization()))
			}
			expected, err := golden.ReadMetrics(path)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(expected, actual))
		})
	}
}

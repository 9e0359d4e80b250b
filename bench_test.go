// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

// Benchmarks for `make bench` (scripts/bench.sh, figures in BENCHMARKS.md): what one poll costs
// between the bytes of an answer and the pdata handed to the pipeline, against json.Valid over
// the same bytes. Nothing here asserts a duration.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// benchAnswers are the largest answer ZEGO serves (two hours of six per-second metrics: a
// backfill) and a steady poll's (three minutes).
var benchAnswers = []struct {
	name    string
	seconds int
}{{"max", 2 * 60 * 60}, {"steady", 3 * 60}}

// benchAnswer is an answer of seconds of all six usage metrics, with its window.
func benchAnswer(seconds int) ([]byte, window) {
	const firstMs = 1660634097767 // ZEGO's example timestamp: not on a second
	var b strings.Builder
	b.WriteString(`{"Code":0,"Message":"success","RequestId":1660645050860325000,"Data":{"Metrics":[`)
	for m, metric := range usageMetrics {
		fmt.Fprintf(&b, `%s{"Metric":%q,"Values":[`, map[bool]string{true: ",", false: ""}[m > 0], metric.zego)
		for i := range seconds {
			fmt.Fprintf(&b, `%s{"Timestamp":%d,"Value":%d}`, map[bool]string{true: ",", false: ""}[i > 0], firstMs+int64(i)*1000, 1000+i%977)
		}
		b.WriteString("]}")
	}
	b.WriteString("]}}")
	return []byte(b.String()), window{afterMs: firstMs - 1, untilMs: firstMs + int64(seconds)*1000}
}

func BenchmarkDecodeConvert(b *testing.B) {
	r, err := newZegoReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(), &recorder{}, nil, clientFromConfig)
	require.NoError(b, err)
	p := pollerFor(r, zegoapi.ActionUsage)
	for _, bc := range benchAnswers {
		body, w := benchAnswer(bc.seconds)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				a, err := zegoapi.Decode(body)
				if err != nil {
					b.Fatal(err)
				}
				if md, _, _ := p.collect(p.targets[0], a, w.contains); md.DataPointCount() != 6*bc.seconds {
					b.Fatalf("%d points", md.DataPointCount())
				}
			}
		})
	}
}

func BenchmarkJSONValid(b *testing.B) {
	for _, bc := range benchAnswers {
		body, _ := benchAnswer(bc.seconds)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !json.Valid(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

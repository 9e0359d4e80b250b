package zegoreceiver

// Benchmarks for `make bench` (scripts/bench.sh, figures in BENCHMARKS.md). They measure what
// one poll costs between the bytes of an answer and the pmetric.Metrics handed to the pipeline,
// with encoding/json's json.Valid over the same bytes as the floor. Nothing here asserts a
// duration: TestBenchAnswers only checks that the benchmarks convert what they claim to.

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

const (
	benchSeed  = 1
	benchAppID = 12345 // testConfig's AppID
	benchPhase = 767   // ms past the second, as in ZEGO's example timestamps
)

// benchCases are the two answers a receiver meets: the largest ZEGO serves (its 2-hour
// retention, one point a second, all six metrics: a backfill after a long outage), and one
// steady-state poll (3 minutes, the default collection_interval).
var benchCases = []struct {
	name    string
	seconds int
}{
	{"max", 2 * 60 * 60},
	{"steady", 3 * 60},
}

// benchAnswer renders, deterministically, a ZEGO answer holding the given number of seconds
// of all six metrics, one point a second off the second boundary, with the simulator's
// values; it returns the body, the poll window the points fill, and the number of points.
func benchAnswer(seconds int) (body []byte, w window, points int) {
	untilMs := t0.Add(-3 * time.Minute).UnixMilli()
	w = window{afterMs: untilMs - int64(seconds)*1000, untilMs: untilMs}
	firstMs := w.afterMs + benchPhase // inside (after, until]
	body = make([]byte, 0, 128+len(zegoapi.AllMetrics)*(64+seconds*45))
	body = append(body, `{"Code":0,"Message":"success","Data":{"Metrics":[`...)
	for m, name := range zegoapi.AllMetrics {
		if m > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"Metric":"`...)
		body = append(body, name...)
		body = append(body, `","Values":[`...)
		for i := range seconds {
			if i > 0 {
				body = append(body, ',')
			}
			ts := firstMs + int64(i)*1000
			body = append(body, `{"Timestamp":`...)
			body = strconv.AppendInt(body, ts, 10)
			body = append(body, `,"Value":`...)
			body = strconv.AppendInt(body, zegosim.Value(benchSeed, benchAppID, name, ts), 10)
			body = append(body, '}')
		}
		body = append(body, "]}"...)
	}
	body = append(body, `]},"RequestId":1660645050860325000}`...)
	return body, w, seconds * len(zegoapi.AllMetrics)
}

// benchReceiver is a receiver built as the tests build it, with every metric enabled.
func benchReceiver(tb testing.TB) *zegoReceiver {
	return newHarness(tb, testConfig()).r
}

func reportPerPoint(b *testing.B, iterations, points int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iterations*points), "ns/point")
}

// BenchmarkDecodeConvert is one poll's CPU work from body to pdata, done as poll does it: the
// project's decoder into the receiver's reused Answer, the receiver's own convert, then
// releaseLargeBuffers (so the maximal answer decodes into fresh arrays every time, as a
// backfill does, and the steady one reuses them).
func BenchmarkDecodeConvert(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			body, w, points := benchAnswer(bc.seconds)
			r := benchReceiver(b)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := zegoapi.DecodeInto(body, &r.answer); err != nil {
					b.Fatal(err)
				}
				md, got := r.convert(&r.answer, w)
				if got != points || md.DataPointCount() != points {
					b.Fatalf("converted %d points, want %d", got, points)
				}
				r.releaseLargeBuffers()
				n++
			}
			reportPerPoint(b, n, points)
		})
	}
}

// BenchmarkConvert is convert alone, from an already decoded Answer: the share of
// BenchmarkDecodeConvert that building pdata takes.
func BenchmarkConvert(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			body, w, points := benchAnswer(bc.seconds)
			r := benchReceiver(b)
			a, err := zegoapi.Decode(body)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, got := r.convert(a, w); got != points {
					b.Fatalf("converted %d points, want %d", got, points)
				}
				n++
			}
			reportPerPoint(b, n, points)
		})
	}
}

// BenchmarkJSONValid is the floor: encoding/json merely validating the same bytes.
func BenchmarkJSONValid(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			body, _, points := benchAnswer(bc.seconds)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if !json.Valid(body) {
					b.Fatal("invalid JSON")
				}
				n++
			}
			reportPerPoint(b, n, points)
		})
	}
}

// TestBenchAnswers checks that the benchmarks' answers are what they claim: the maximal one
// about 1.8 MB, and decode+convert turning every point into a gauge point with the
// simulator's value at its own timestamp, twice in a row through the same reused Answer.
func TestBenchAnswers(t *testing.T) {
	for _, bc := range benchCases {
		t.Run(bc.name, func(t *testing.T) {
			body, w, points := benchAnswer(bc.seconds)
			if bc.name == "max" {
				require.InDelta(t, 1.8e6, len(body), 0.2e6, "the maximal answer is about 1.8 MB")
			}
			h := newHarness(t, testConfig())
			var a zegoapi.Answer
			for range 2 {
				require.NoError(t, zegoapi.DecodeInto(body, &a))
				md, got := h.r.convert(&a, w)
				require.Equal(t, points, got)
				require.Equal(t, points, md.DataPointCount())
				perMetric := delivered(t, []pmetric.Metrics{md})
				require.Len(t, perMetric, len(zegoapi.AllMetrics))
				for _, d := range metricDefs {
					pts := perMetric[d.name]
					require.Len(t, pts, bc.seconds, d.name)
					ts := w.afterMs + benchPhase
					require.Equal(t, zegosim.Value(benchSeed, benchAppID, d.api, ts), pts[ts], d.name)
				}
			}
		})
	}
}

package zegoapi

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

const (
	maxPoints    = 2 * 60 * 60 // the API's 2-hour window at one point a second
	steadyPoints = 3 * 60      // one 3-minute poll
)

// buildAnswer renders an answer shaped like ZEGO's example, for all six metrics with
// pointsPerMetric points each, a second apart and off the second boundary.
func buildAnswer(pointsPerMetric int) []byte {
	const start = 1660634097767
	b := make([]byte, 0, 64+len(AllMetrics)*(64+pointsPerMetric*48))
	b = append(b, `{"Code":0,"Message":"success","Data":{"Metrics":[`...)
	for m, name := range AllMetrics {
		if m > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Metric":"`...)
		b = append(b, name...)
		b = append(b, `","Values":[`...)
		for i := 0; i < pointsPerMetric; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Timestamp":`...)
			b = strconv.AppendInt(b, start+int64(i)*1000, 10)
			b = append(b, `,"Value":`...)
			b = strconv.AppendInt(b, int64(1000+(i*7919+m*104729)%100000), 10)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	b = append(b, `]},"RequestId":1660645050860325000}`...)
	return b
}

var benchCases = []struct {
	name   string
	points int
}{
	{"max", maxPoints},
	{"steady", steadyPoints},
}

func TestBuildAnswer(t *testing.T) {
	body := buildAnswer(maxPoints)
	if n := len(body); n < 1_600_000 || n > 2_000_000 {
		t.Fatalf("max answer is %d bytes, want about 1.8 MB", n)
	}
	a, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Series) != len(AllMetrics) {
		t.Fatalf("%d series", len(a.Series))
	}
	for i, s := range a.Series {
		if s.Metric != AllMetrics[i] || len(s.Points) != maxPoints {
			t.Fatalf("series %d: %s with %d points", i, s.Metric, len(s.Points))
		}
	}
}

func reportPerPoint(b *testing.B, iterations, points int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iterations*points*len(AllMetrics)), "ns/point")
}

// runOverAnswers runs op over each benchmark answer's bytes, reporting bytes, allocations and ns/point.
func runOverAnswers(b *testing.B, op func(body []byte) error) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			body := buildAnswer(bc.points)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := op(body); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportPerPoint(b, n, bc.points)
		})
	}
}

// BenchmarkDecode decodes into a fresh Answer each time (what GetRealtimeUsage does).
func BenchmarkDecode(b *testing.B) {
	runOverAnswers(b, func(body []byte) error {
		_, err := Decode(body)
		return err
	})
}

// BenchmarkDecodeInto reuses one Answer (what a steady poller using GetRealtimeUsageInto does).
func BenchmarkDecodeInto(b *testing.B) {
	var a Answer
	runOverAnswers(b, func(body []byte) error { return DecodeInto(body, &a) })
}

// BenchmarkJSONValid is the yardstick: merely validating the same bytes with encoding/json.
func BenchmarkJSONValid(b *testing.B) {
	runOverAnswers(b, func(body []byte) error {
		if !json.Valid(body) {
			return errors.New("invalid JSON")
		}
		return nil
	})
}

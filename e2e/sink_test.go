//go:build e2e

package e2e

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// point is one data point as the sink received it.
type point struct {
	metric  string
	appID   string // resource attribute zego.app_id
	tsMs    int64
	startNs uint64
	value   int64
	isInt   bool
	arrival time.Time
	request int // index of the accepted request that carried it, from 0
}

// sink is an OTLP/HTTP metrics endpoint recording every data point it accepts. While failing,
// it answers 503 and records nothing.
type sink struct {
	t        *testing.T
	srv      *httptest.Server
	failing  atomic.Bool
	rejected atomic.Int64

	mu       sync.Mutex
	points   []point
	accepted int
}

func newSink(t *testing.T) *sink {
	s := &sink{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) URL() string { return s.srv.URL }

func (s *sink) setFailing(on bool) { s.failing.Store(on) }

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/metrics" || r.Method != http.MethodPost {
		http.Error(w, "only POST /v1/metrics", http.StatusNotFound)
		return
	}
	arrival := time.Now()
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.failing.Load() {
		s.rejected.Add(1)
		http.Error(w, "sink outage", http.StatusServiceUnavailable)
		return
	}
	req := pmetricotlp.NewExportRequest()
	if r.Header.Get("Content-Type") == "application/json" {
		err = req.UnmarshalJSON(raw)
	} else {
		err = req.UnmarshalProto(raw)
	}
	if err != nil {
		s.t.Errorf("sink: undecodable OTLP request: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.record(req.Metrics(), arrival)
	resp, err := pmetricotlp.NewExportResponse().MarshalProto()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *sink) record(md pmetric.Metrics, arrival time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	request := s.accepted
	s.accepted++
	for _, rm := range md.ResourceMetrics().All() {
		appID := ""
		if v, ok := rm.Resource().Attributes().Get("zego.app_id"); ok {
			appID = v.AsString()
		}
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Type() != pmetric.MetricTypeGauge {
					s.t.Errorf("sink: metric %s is a %s, want a gauge", m.Name(), m.Type())
					continue
				}
				for _, dp := range m.Gauge().DataPoints().All() {
					p := point{
						metric:  m.Name(),
						appID:   appID,
						tsMs:    int64(dp.Timestamp()) / int64(time.Millisecond),
						startNs: uint64(dp.StartTimestamp()),
						isInt:   dp.ValueType() == pmetric.NumberDataPointValueTypeInt,
						arrival: arrival,
						request: request,
					}
					if p.isInt {
						p.value = dp.IntValue()
					} else {
						p.value = int64(dp.DoubleValue())
					}
					if int64(dp.Timestamp())%int64(time.Millisecond) != 0 {
						s.t.Errorf("sink: %s point at %d ns is not on a whole millisecond", m.Name(), dp.Timestamp())
					}
					s.points = append(s.points, p)
				}
			}
		}
	}
}

// snapshot returns a copy of the points accepted so far.
func (s *sink) snapshot() []point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]point(nil), s.points...)
}

// requests is the number of requests accepted so far.
func (s *sink) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// count is the number of points accepted so far.
func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.points)
}

package zegosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ZEGO's worked example.
const (
	exampleApp       = uint32(12345)
	exampleNonce     = "4fd24687296dd9f3"
	exampleSecret    = "9193cc662a4c0ec135ec71fb57194b38"
	exampleTimestamp = int64(1615186943)
	exampleSignature = "43e5cfcca828314675f91b001390566a"
)

// t0 is the usual fake "now": a whole second, so point grids are easy to
// reason about.
var t0 = time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)

// fakeClock is an injected clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// logSink collects Logf lines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type harness struct {
	t     *testing.T
	s     *Server
	clock *fakeClock
	logs  *logSink
}

// newHarness builds a server on a fake clock at t0, accepting the example
// AppID unless cfg says otherwise.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: &fakeClock{t: t0}, logs: &logSink{}}
	if cfg.Apps == nil && cfg.AnySecret == "" {
		cfg.Apps = map[uint32]string{exampleApp: exampleSecret}
	}
	cfg.Now = h.clock.Now
	if cfg.Logf == nil {
		cfg.Logf = h.logs.Logf
	}
	h.s = New(cfg)
	return h
}

var nonceSeq atomic.Uint64

func freshNonce() string { return fmt.Sprintf("%016x", nonceSeq.Add(1)) }

// signed returns the common parameters of a correctly signed call made at
// clientTime.
func signed(appID uint32, secret, nonce string, clientTime time.Time) url.Values {
	ts := clientTime.Unix()
	return url.Values{
		"Action":           {"GetRealtimeUsage"},
		"AppId":            {fmt.Sprint(appID)},
		"SignatureNonce":   {nonce},
		"Timestamp":        {fmt.Sprint(ts)},
		"SignatureVersion": {"2.0"},
		"Signature":        {Sign(appID, nonce, secret, ts)},
	}
}

// query is a signed call for metrics in [start, end], made at the fake
// clock's time with a fresh nonce.
func (h *harness) query(appID uint32, secret string, start, end int64, metrics ...string) url.Values {
	q := signed(appID, secret, freshNonce(), h.clock.Now())
	q["Metrics[]"] = metrics
	q.Set("StartTs", fmt.Sprint(start))
	q.Set("EndTs", fmt.Sprint(end))
	return q
}

// example is query for the example AppID.
func (h *harness) example(start, end int64, metrics ...string) url.Values {
	return h.query(exampleApp, exampleSecret, start, end, metrics...)
}

// raw sends q to the server in-process and returns the recorder.
func (h *harness) raw(q url.Values) *httptest.ResponseRecorder {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil))
	return rec
}

// send sends q and decodes the answer, which must be HTTP 200 JSON.
func (h *harness) send(q url.Values) apiResp {
	h.t.Helper()
	rec := h.raw(q)
	require.Equal(h.t, http.StatusOK, rec.Code, rec.Body.String())
	return decodeResp(h.t, rec.Body.Bytes())
}

// apiResp decodes either shape (tidy or Quirks) with plain encoding/json.
type apiResp struct {
	Code      int
	Message   string
	RequestId json.RawMessage //nolint:revive // ZEGO's spelling
	Data      *struct {
		Metrics []struct {
			Metric string
			Values []struct {
				Timestamp int64
				Value     float64
			}
		}
	}
}

func decodeResp(t *testing.T, body []byte) apiResp {
	t.Helper()
	var r apiResp
	require.NoError(t, json.Unmarshal(body, &r), "body: %.300s", body)
	return r
}

type point struct {
	metric string
	ts     int64
	value  float64
}

// points flattens an answer, in answer order.
func (r apiResp) points() []point {
	var out []point
	if r.Data == nil {
		return nil
	}
	for _, m := range r.Data.Metrics {
		for _, v := range m.Values {
			out = append(out, point{m.Metric, v.Timestamp, v.Value})
		}
	}
	return out
}

// times lists one metric's timestamps, in answer order.
func (r apiResp) times(metric string) []int64 {
	var out []int64
	for _, p := range r.points() {
		if p.metric == metric {
			out = append(out, p.ts)
		}
	}
	return out
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func itoa(v int64) string { return fmt.Sprint(v) }

//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// Helpers for the hostile-input tests (faults_test.go, hygiene_test.go, storage_test.go): their
// default settings and a parser for the collector's JSON logs.

// hostileDefaults are the test settings with JSON logs, to parse, and a short timeout, so that
// a slow answer times out quickly.
func hostileDefaults(simURL, sinkURL string) collectorConfig {
	cfg := defaultConfig(simURL, sinkURL)
	cfg.Timeout = 3 * time.Second
	cfg.JSONLogs = true
	return cfg
}

// logLine is one JSON log line of the collector.
type logLine struct {
	Level      string          `json:"level"`
	Msg        string          `json:"msg"`
	Component  string          `json:"otelcol.component.id"`
	Error      string          `json:"error"`
	ErrorClass string          `json:"error_class"`
	Fix        string          `json:"fix"`
	NextCall   json.RawMessage `json:"next_call_in_at_least"`
	TS         string          `json:"ts"`
	raw        string
}

// at is when the line was logged; the zero time if its ts does not parse.
func (l logLine) at() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, l.TS)
	return t
}

// loud reports whether the line is a warning or worse.
func (l logLine) loud() bool {
	switch l.Level {
	case "warn", "error", "dpanic", "panic", "fatal":
		return true
	}
	return false
}

// parseLogs returns the JSON log lines in out; other lines (there should be none) are skipped.
func parseLogs(out string) []logLine {
	var lines []logLine
	for _, raw := range strings.Split(out, "\n") {
		raw = strings.TrimSpace(raw)
		if !strings.HasPrefix(raw, "{") {
			continue
		}
		var l logLine
		if json.Unmarshal([]byte(raw), &l) != nil {
			continue
		}
		l.raw = raw
		lines = append(lines, l)
	}
	return lines
}

// zegoLoudLines are the warnings and errors the zego receiver logged in out.
func zegoLoudLines(out string) []logLine {
	var loud []logLine
	for _, l := range parseLogs(out) {
		if l.Component == "zego" && l.loud() {
			loud = append(loud, l)
		}
	}
	return loud
}

// nonJSONLines are the lines of out that are not JSON log lines: a panic, a Go runtime message.
func nonJSONLines(out string) []string {
	var other []string
	for _, raw := range strings.Split(out, "\n") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if !strings.HasPrefix(raw, "{") || !json.Valid([]byte(raw)) {
			other = append(other, raw)
		}
	}
	return other
}

// quotaHeld fails the test if the simulator saw more calls in a minute than per_minute allows, or
// answered a call with its own quota refusal (30002) that no injected fault asked for.
func quotaHeld(t *testing.T, sim *zegosim.Server, appID uint32, cfg collectorConfig, injectedRateLimits int) {
	t.Helper()
	st := sim.Stats()[appID]
	if st.MaxPerMinute > cfg.PerMinute {
		t.Errorf("the simulator saw %d calls in a minute, the quota is %d", st.MaxPerMinute, cfg.PerMinute)
	}
	if st.MaxPerDay > cfg.PerDay {
		t.Errorf("the simulator saw %d calls in a day, the quota is %d", st.MaxPerDay, cfg.PerDay)
	}
	if n := st.Codes[zegosim.CodeRateLimit]; n != injectedRateLimits {
		t.Errorf("the simulator answered %d calls with 30002, %d of them injected: the receiver went over the quota", n, injectedRateLimits)
	}
}

// describe lists log lines for a failure message.
func describe(lines []logLine) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n  %s", l.raw)
	}
	return b.String()
}

// hostileSim is a simulator behind a front handler that records every call (when it was answered,
// its code, the fault applied, the Signature it carried) and can drop StartTs, a fault the
// simulator's own faults do not cover.
type hostileSim struct {
	*zegosim.Server
	url string

	// dropStartTs makes the next n calls lose their StartTs parameter on the way, so that the
	// simulator answers 10001 (a permanent error) as ZEGO does.
	dropStartTs atomic.Int32

	mu         sync.Mutex
	arrivals   []time.Time // when each API request arrived
	calls      []simCall
	signatures map[string]bool
}

// simCall is one answered API call, as the simulator logged it.
type simCall struct {
	at    time.Time // when the simulator finished it
	code  int       // the return code; zegosim.CodeHTTPFault for HTTP-level faults
	fault string    // the injected fault kind, "" for none
	line  string
}

var simLogLine = regexp.MustCompile(`code=(-?\d+) points=\d+(?: fault=(\w+))?`)

// startHostileSim serves a simulator with the test settings, adjusted by edit, behind the
// recording front.
func startHostileSim(t *testing.T, edit func(*zegosim.Config)) *hostileSim {
	t.Helper()
	h := &hostileSim{signatures: map[string]bool{}}
	cfg := simConfig(edit)
	cfg.Logf = h.logf
	h.Server = zegosim.New(cfg)
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *hostileSim) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.mu.Lock()
	if r.URL.Path == "/" {
		h.arrivals = append(h.arrivals, time.Now())
	}
	if sig := q.Get("Signature"); sig != "" {
		h.signatures[sig] = true
	}
	h.mu.Unlock()
	if r.URL.Path == "/" && h.dropStartTs.Load() > 0 && h.dropStartTs.Add(-1) >= 0 {
		q.Del("StartTs")
		r.URL.RawQuery = q.Encode()
	}
	h.Server.ServeHTTP(w, r)
}

func (h *hostileSim) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	m := simLogLine.FindStringSubmatch(line)
	if m == nil {
		return // not the end of a call (the start of a slow one)
	}
	code, _ := strconv.Atoi(m[1])
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, simCall{at: time.Now(), code: code, fault: m[2], line: line})
}

// callLog returns the calls answered so far, in order.
func (h *hostileSim) callLog() []simCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]simCall(nil), h.calls...)
}

// callsSince returns the calls answered at or after t.
func (h *hostileSim) callsSince(t time.Time) []simCall {
	var out []simCall
	for _, c := range h.callLog() {
		if !c.at.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// arrivalsSince returns when the API requests that arrived at or after t arrived.
func (h *hostileSim) arrivalsSince(t time.Time) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, a := range h.arrivals {
		if !a.Before(t) {
			out = append(out, a)
		}
	}
	return out
}

// sentSignatures returns every Signature the collector sent.
func (h *hostileSim) sentSignatures() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.signatures))
	for s := range h.signatures {
		out = append(out, s)
	}
	return out
}

// loudSince returns the zego receiver's warnings and errors logged at or after t.
func loudSince(out string, t time.Time) []logLine {
	var loud []logLine
	for _, l := range zegoLoudLines(out) {
		if !l.at().Before(t.Truncate(time.Millisecond)) {
			loud = append(loud, l)
		}
	}
	return loud
}

// zegoLinesSince returns the zego receiver's lines with msg containing what, logged at or after t.
func zegoLinesSince(out string, t time.Time, what string) []logLine {
	var lines []logLine
	for _, l := range parseLogs(out) {
		if l.Component == "zego" && strings.Contains(l.Msg, what) && !l.at().Before(t.Truncate(time.Millisecond)) {
			lines = append(lines, l)
		}
	}
	return lines
}

// maxPointMs is the newest point timestamp at the sink, 0 for none.
func maxPointMs(s *sink) int64 {
	newest := int64(0)
	for _, p := range s.snapshot() {
		newest = max(newest, p.tsMs)
	}
	return newest
}

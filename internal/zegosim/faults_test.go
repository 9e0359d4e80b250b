// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultKinds(t *testing.T) {
	kinds := []struct {
		fault  Fault
		code   int    // in the record
		status int    // 0: no answer at all
		prefix string // of the body; "" for an empty body
		err    error  // getting and reading the answer
	}{
		{Fault{Kind: FaultHTML, Count: 1}, CodeNone, http.StatusBadGateway, "<html>", nil},
		{Fault{Kind: FaultTruncated, Count: 1}, CodeNone, http.StatusOK, `{"Code":0,"Message":"success"`, io.ErrUnexpectedEOF},
		{Fault{Kind: FaultEmpty, Count: 1}, CodeNone, http.StatusOK, "", nil},
		{Fault{Kind: FaultMalformed, Count: 1}, CodeNone, http.StatusOK, "{Code: 0", nil},
		{Fault{Kind: FaultReset, Count: 1}, CodeNone, 0, "", syscall.ECONNRESET},
		{Fault{Kind: FaultSlow, Count: 1, Duration: 20 * time.Millisecond}, CodeSuccess, http.StatusOK, `{"Code":0,`, nil},
		{Fault{Kind: FaultCode, Count: 1, Code: CodeSignatureExpired}, CodeSignatureExpired, http.StatusOK, `{"Code":100000004,`, nil},
	}
	last := func(s *Server) []any { c := s.Calls()[len(s.Calls())-1]; return []any{c.Fault, c.Code, c.Points > 0} }
	run := func(t *testing.T, s *Server, c *http.Client, base string) {
		for _, k := range kinds { // each used up, or the next call would meet it again
			s.InjectFault(k.fault)
			start := time.Now()
			resp, body, err := send(t.Context(), c, http.MethodGet, base+"/?"+query(ActionUsage, "online_user").Encode(), "")
			if assert.ErrorIs(t, err, k.err, k.fault.Kind) && k.status != 0 {
				assert.Equal(t, k.status, resp.StatusCode, k.fault.Kind)
				assert.True(t, strings.HasPrefix(string(body), k.prefix) && (k.prefix != "" || len(body) == 0), "%s: %s", k.fault.Kind, body)
			}
			assert.GreaterOrEqual(t, time.Since(start), k.fault.Duration)
			assert.Equal(t, []any{k.fault.Kind, k.code, k.code == CodeSuccess}, last(s))
		}
	}
	t.Run("socket", func(t *testing.T) {
		s := New(Config{Apps: map[uint32]string{12345: secret}, PerMinute: -1})
		srv := httptest.NewServer(s)
		defer srv.Close()
		run(t, s, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, srv.URL) // no retry on a reused connection
	})
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Apps: map[uint32]string{12345: secret}, PerMinute: -1})
		run(t, s, &http.Client{Transport: s.Transport()}, "http://zegosim")

		s.InjectFault(Fault{Kind: FaultSlow, Duration: time.Hour, Count: 1})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		_, _, err := send(ctx, &http.Client{Transport: s.Transport()}, http.MethodGet, "http://zegosim/?"+query(ActionUsage, "online_user").Encode(), "")
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the slow call ends when the client leaves")
		assert.Equal(t, []any{FaultSlow, CodeNone, false}, last(s))
	})
}

func TestFaultSelection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, call := newSim(Config{}) // 3 calls a minute
		s.InjectFault(Fault{Kind: FaultCode, Code: CodeInternal, AppID: 7})
		s.InjectFault(Fault{Kind: FaultCode, Code: CodeSignatureWrong, Action: ActionQuality, Count: 1})
		s.InjectFault(Fault{Kind: FaultCode, Code: CodeRateLimit, Count: 2})
		s.InjectFault(Fault{Kind: FaultCode, Code: CodeNoServerSecret}) // until cleared
		var got []int
		for i, action := range []string{ActionUsage, ActionQuality, ActionQuality, ActionUsage, ActionUsage, ActionUsage, ActionQuality} {
			if i == 5 {
				s.ClearFaults()
			}
			got = append(got, call(t, query(action, metricsOf(action)[0])).Code)
		}
		// Faults come before the quota verdict, yet their calls are metered: the 4th usage call is over.
		assert.Equal(t, []int{CodeRateLimit, CodeSignatureWrong, CodeRateLimit, CodeNoServerSecret, CodeNoServerSecret, CodeRateLimit, CodeSuccess}, got)
	})
}

func TestAdmin(t *testing.T) {
	s, call := newSim(Config{})
	c := &http.Client{Transport: s.Transport()}
	admin := func(method, path, body string) string { // "status body"
		resp, b, err := send(t.Context(), c, method, "http://zegosim"+path, body)
		require.NoError(t, err)
		return fmt.Sprint(resp.StatusCode, " ", string(b))
	}
	f := Fault{Kind: FaultSlow, Count: 2, Duration: 5 * time.Second, AppID: 7, Action: ActionQuality}
	js, _ := json.Marshal(f)
	assert.JSONEq(t, `{"kind":"slow","count":2,"duration":"5s","app_id":7,"action":"GetRealtimeQuality"}`, string(js))
	for _, bad := range []string{`{"kind":"slow","duration":"5s","appid":7}`, `{"kind":"slo"}`, `{"kind":"slow","duration":"5"}`} {
		assert.Contains(t, admin(http.MethodPost, "/admin/faults", bad), "400 bad fault: ", bad)
	}
	assert.Equal(t, "204 ", admin(http.MethodPost, "/admin/faults", string(js)))
	assert.Equal(t, []Fault{f}, s.faults)
	assert.Equal(t, "204 ", admin(http.MethodDelete, "/admin/faults", ""))
	assert.Empty(t, s.faults)

	call(t, query(ActionQuality, QualityMetrics...))
	body := strings.TrimPrefix(admin(http.MethodGet, "/admin/calls", ""), "200 ")
	js, _ = json.Marshal(s.Calls())
	assert.JSONEq(t, string(js), body)
	assert.Contains(t, body, `"app_id":12345,"action":"GetRealtimeQuality","metrics":["video_break_rate",`)
	assert.Equal(t, "200 ok\n", admin(http.MethodGet, "/healthz", ""))
	assert.Len(t, s.Calls(), 1, "admin calls are not API calls")

	// A rotation: the old secret is refused from then on, the new one accepted.
	assert.Contains(t, admin(http.MethodPost, "/admin/secret", `{"app_id":12345}`), "400 ")
	assert.Equal(t, "204 ", admin(http.MethodPost, "/admin/secret", `{"app_id":12345,"secret":"rotated"}`))
	assert.Equal(t, CodeSignatureWrong, call(t, query(ActionQuality, QualityMetrics...)).Code)
	assert.Equal(t, CodeSuccess, call(t, resign(query(ActionQuality, QualityMetrics...), "rotated")).Code)

	for _, f := range []Fault{{Kind: "nope"}, {Kind: FaultSlow}, {Kind: FaultHTML, Duration: 1}, {Kind: FaultCode}, {Kind: FaultEmpty, Count: -1}, {Kind: FaultEmpty, Action: "X"}} {
		assert.Panics(t, func() { s.InjectFault(f) }, "%+v", f)
	}
}

// TestRecordAndLog: every call is recorded, and logged without any secret, before its answer.
func TestRecordAndLog(t *testing.T) {
	var log strings.Builder
	s := New(Config{Apps: map[uint32]string{12345: secret}, PerMinute: -1, Logf: func(f string, a ...any) { fmt.Fprintf(&log, f+"\n", a...) }})
	s.InjectFault(Fault{Kind: FaultHTML, Count: 1})
	sent := []string{secret}
	for i, k := range []string{"", "Action", "Metrics[]", "AppId", "StartTs", "Signature", ""} {
		q := set(query(ActionUsage, "online_user"), k, secret) // k "": a parameter without a name
		sent = append(sent, q.Get("SignatureNonce"), q.Get("Signature"))
		w := &probe{httptest.NewRecorder(), func() int { return len(s.Calls()) }, 0}
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?"+q.Encode(), nil))
		assert.Equal(t, i+1, w.seen, "recorded before the answer")
	}
	assert.Regexp(t, `^zegosim: GetRealtimeUsage app=12345 code=-1 points=0 fault=html\n(.*\n){5}zegosim: GetRealtimeUsage app=12345 code=0 points=12\d fault=none\n$`, log.String())
	for _, s := range sent {
		assert.NotContains(t, log.String(), s)
	}
}

type probe struct {
	*httptest.ResponseRecorder
	calls func() int
	seen  int // calls recorded when the answer began
}

func (p *probe) WriteHeader(code int) { p.seen = p.calls(); p.ResponseRecorder.WriteHeader(code) }

func TestConcurrentCalls(t *testing.T) { // for the race detector
	s, call := newSim(Config{Quirks: true})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { call(t, query(ActionUsage, UsageMetrics...)); call(t, query(ActionQuality, QualityMetrics...)) })
	}
	wg.Wait()
	codes := map[int]int{}
	for _, c := range s.Calls() {
		codes[c.Code]++
	}
	assert.Equal(t, map[int]int{CodeSuccess: 6, CodeRateLimit: 10}, codes)
}

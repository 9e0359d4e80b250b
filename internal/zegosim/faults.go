// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegosim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing/iotest"
	"time"
)

// Fault kinds.
const (
	FaultHTML      = "html"      // HTTP 502 with an HTML page, as a failing gateway answers
	FaultTruncated = "truncated" // HTTP 200, the real JSON answer cut in the middle
	FaultEmpty     = "empty"     // HTTP 200, empty body
	FaultMalformed = "malformed" // HTTP 200, a body that is not JSON
	FaultReset     = "reset"     // the connection is reset without an answer
	FaultSlow      = "slow"      // wait Duration (or until the client leaves), then answer normally
	FaultCode      = "code"      // HTTP 200 with the ZEGO code Code
)

// Fault makes calls misbehave. Faults apply after metering and before the quota
// verdict, the oldest matching fault first.
type Fault struct {
	Kind     string        `json:"kind"`
	Code     int           `json:"code,omitempty"`     // for FaultCode: the ZEGO code to answer
	Count    int           `json:"count,omitempty"`    // calls it applies to; 0 = until cleared
	Duration time.Duration `json:"duration,omitempty"` // for FaultSlow; a Go duration string in JSON ("5s")
	AppID    uint32        `json:"app_id,omitempty"`   // 0 = every AppID
	Action   string        `json:"action,omitempty"`   // "" = every Action
}

// Validate reports what is wrong with f, if anything.
func (f Fault) Validate() error {
	switch {
	case !slices.Contains([]string{FaultHTML, FaultTruncated, FaultEmpty, FaultMalformed, FaultReset, FaultSlow, FaultCode}, f.Kind):
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	case f.Count < 0:
		return errors.New("fault count is negative")
	case f.Duration < 0 || (f.Kind == FaultSlow) != (f.Duration > 0):
		return errors.New("a slow fault, and only it, needs a positive duration")
	case (f.Kind == FaultCode) != (f.Code != 0):
		return errors.New("a code fault, and only it, needs a non-zero code")
	case f.Action != "" && !known(f.Action):
		return fmt.Errorf("unknown action %q", f.Action)
	}
	return nil
}

// MarshalJSON writes Duration as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	var d string
	if f.Duration != 0 {
		d = f.Duration.String()
	}
	return json.Marshal(struct {
		plain
		Duration string `json:"duration,omitempty"`
	}{plain(f), d})
}

// UnmarshalJSON reads Duration as a Go duration string, and refuses unknown fields:
// a misspelled "app_id" must not quietly mean every AppID.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	v := struct {
		*plain
		Duration string `json:"duration"`
	}{plain: (*plain)(f)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	if err == nil && v.Duration != "" {
		f.Duration, err = time.ParseDuration(v.Duration)
	}
	return err
}

// InjectFault queues f. It panics on an invalid fault: a typo in a test must not pass silently.
func (s *Server) InjectFault(f Fault) {
	if err := f.Validate(); err != nil {
		panic("zegosim: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFaultLocked uses up one call of the oldest fault matching the call; a zero
// Fault when none does.
func (s *Server) takeFaultLocked(appID uint32, action string) Fault {
	for i, f := range s.faults {
		if (f.AppID == 0 || f.AppID == appID) && (f.Action == "" || f.Action == action) {
			if f.Count > 0 {
				if s.faults[i].Count--; s.faults[i].Count == 0 {
					s.faults = slices.Delete(s.faults, i, i+1)
				}
			}
			return f
		}
	}
	return Fault{}
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f)
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.InjectFault(f)
	w.WriteHeader(http.StatusNoContent)
}

// SetSecret makes secret appID's ServerSecret from now on, as a rotation in ZEGO's console does:
// calls signed with the old one get CodeSignatureWrong.
func (s *Server) SetSecret(appID uint32, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Apps[appID] = secret
}

// postSecret serves POST /admin/secret, {"app_id":12345,"secret":"..."}: SetSecret.
func (s *Server) postSecret(w http.ResponseWriter, r *http.Request) {
	var v struct {
		AppID  uint32 `json:"app_id"`
		Secret string `json:"secret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&v); err != nil || v.AppID == 0 || v.Secret == "" {
		http.Error(w, `want {"app_id":<uint32>,"secret":"<new ServerSecret>"}`, http.StatusBadRequest)
		return
	}
	s.SetSecret(v.AppID, v.Secret)
	w.WriteHeader(http.StatusNoContent)
}

// wait sleeps d and reports false if the client went away first.
func wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

const badGateway = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center></body>\n</html>\n"

// notJSON starts like JSON, so a client peeking at the first byte is not enough.
const notJSON = "{Code: 0, Message: success} <- not JSON\n"

func writeFault(w http.ResponseWriter, kind string) {
	switch kind {
	case FaultHTML:
		write(w, http.StatusBadGateway, "text/html; charset=utf-8", []byte(badGateway), len(badGateway))
	case FaultEmpty:
		write(w, http.StatusOK, jsonType, nil, 0)
	case FaultMalformed:
		write(w, http.StatusOK, jsonType, []byte(notJSON), len(notJSON))
	case FaultReset:
		// On HTTP/1, hijack the connection and close it with SO_LINGER 0 so the client
		// sees a TCP reset; where hijacking is impossible (HTTP/2, Transport) abort.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
			conn = tc.NetConn() // TLS: no close_notify, a reset says nothing
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}

// Transport serves requests in-process, without a network, for tests inside synctest
// bubbles. A "reset" fault makes RoundTrip return an error (as a reset connection
// would); a "truncated" answer arrives cut short; the request's context is honored
// (a "slow" fault ends when it is done).
func (s *Server) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Server }

var errReset = fmt.Errorf("zegosim: %w", syscall.ECONNRESET) // what a client sees from a reset over TCP

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if req.Body != nil {
		defer func() { _ = req.Body.Close() }()
	}
	if err = req.Context().Err(); err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody
	}
	defer func() {
		if p := recover(); p != nil {
			if abort, _ := p.(error); !errors.Is(abort, http.ErrAbortHandler) {
				panic(p)
			}
			resp, err = nil, cmp.Or(req.Context().Err(), errReset)
		}
	}()
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, r)
	resp = rec.Result()
	resp.Request = req
	if resp.ContentLength > int64(rec.Body.Len()) { // cut short, as over a network
		resp.Body = io.NopCloser(io.MultiReader(resp.Body, iotest.ErrReader(io.ErrUnexpectedEOF)))
	}
	return resp, nil
}

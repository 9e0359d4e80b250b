package zegosim

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"time"
)

// applyFault acts out f for the call. It reports whether the call is done;
// false means "now answer normally" (a slow fault that waited its time).
func (s *Server) applyFault(c *call, f Fault) bool {
	switch f.Kind {
	case FaultSlow:
		s.logf("zegosim: %s app=%s fault=slow: waiting %v", c.r.Method, c.appLabel(), f.Duration)
		t := time.NewTimer(f.Duration) // real time, not the injected clock: the client's timeout runs on it
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-c.r.Context().Done():
			// The client left, or the server is shutting down: send nothing
			// (returning would send an empty 200).
			s.finish(c, CodeHTTPFault, 0, "client left (or server stopping) during the slow fault")
			panic(http.ErrAbortHandler)
		}
	case FaultRateLimit:
		s.respond(c, answer{code: CodeRateLimit, msg: "call rate over the quota"})
	case FaultCode500:
		s.respond(c, answer{code: CodeInternal, msg: "internal error"})
	case FaultSignature:
		s.respond(c, answer{code: CodeSignatureWrong, msg: "signature wrong"})
	case FaultClockSkew:
		s.respond(c, answer{code: CodeSignatureExpired, msg: "signature expired"})
	case FaultHTTP500HTML:
		s.finish(c, CodeHTTPFault, 0, "HTTP 502 HTML page")
		c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
		c.w.WriteHeader(http.StatusBadGateway)
		_, _ = c.w.Write([]byte(badGatewayPage))
	case FaultEmpty:
		s.finish(c, CodeHTTPFault, 0, "empty body")
		c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		c.w.Header().Set("Content-Length", "0")
		c.w.WriteHeader(http.StatusOK)
	case FaultMalformed:
		// Starts like JSON so a client sniffing the first byte is not enough.
		s.finish(c, CodeHTTPFault, 0, "malformed body")
		writeJSON(c.w, http.StatusOK, []byte("{Code: 0, Message: success} <- not JSON\n"))
	case FaultTruncated:
		// The real answer (the call was processed), cut in half. The
		// framing is correct; the JSON is not.
		body := s.encode(s.answer(c, s.clock()), c.appID, c.rid)
		s.finish(c, CodeHTTPFault, 0, "truncated body")
		writeJSON(c.w, http.StatusOK, body[:len(body)/2])
	case FaultOversize:
		s.finish(c, CodeHTTPFault, 0, "oversize body")
		s.writeOversize(c)
	case FaultReset:
		s.finish(c, CodeHTTPFault, 0, "connection reset")
		resetConnection(c.w)
	}
	return true
}

const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>zegosim</center></body>
</html>
`

// writeOversize streams a valid success answer whose unknown "Padding" field
// holds OversizeBytes, placed before Data so a client that stops reading at a
// size limit never sees data.
func (s *Server) writeOversize(c *call) {
	prefix := []byte(`{"Code":0,"Message":"success","Padding":"`)
	suffix := []byte(`","Data":{"Metrics":[]},"RequestId":"` + strconv.FormatUint(c.rid, 10) + `"}`)
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(prefix)+OversizeBytes+len(suffix)))
	c.w.WriteHeader(http.StatusOK)
	if _, err := c.w.Write(prefix); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte{'x'}, 64<<10)
	for left := OversizeBytes; left > 0; left -= len(chunk) {
		if _, err := c.w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return // the client gave up
		}
	}
	_, _ = c.w.Write(suffix)
}

// resetConnection drops the connection without an answer. On HTTP/1 it
// hijacks the connection and closes it with SO_LINGER 0, so the client sees
// a TCP reset; where hijacking is impossible (HTTP/2) it aborts the stream.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http's documented way to abort quietly
	}
	raw := conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close() // under TLS, skip close_notify: a reset says nothing
}

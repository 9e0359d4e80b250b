package zegosim

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const clockToleranceMs = int64(10 * time.Minute / time.Millisecond)

// call is one API request on its way through the server.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	q     url.Values
	appID uint32
	named bool   // the call names a well-formed AppId (and is metered)
	over  bool   // over the quota
	rid   uint64 // RequestId
	fault string // kind of the fault applied, for the log
}

// answer is the outcome of a call before encoding.
type answer struct {
	code   int
	msg    string
	series []series // success only
	points int      // distinct points in series
	qkey   uint64   // seeds the Quirks shuffles
}

// series is one metric's points.
type series struct {
	metric int
	times  []int64
	values []int64
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	// ZEGO's analytics APIs take GET or POST; parameters are read from the
	// query string either way.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		methodNotAllowed(w, "GET, POST")
		return
	}
	// The Date header tells the server's time, as ZEGO's does: it lets a
	// client say how far off its clock is.
	w.Header().Set("Date", s.clock().UTC().Format(http.TimeFormat))
	c := &call{w: w, r: r, q: r.URL.Query()}
	c.appID, c.named = meteredAppID(c.q)
	f, faulty := s.admit(c, s.clock())
	if faulty {
		c.fault = f.Kind
		if s.applyFault(c, f) {
			return
		}
	}
	s.respond(c, s.answer(c, s.clock()))
}

// admit meters the call, then takes the fault that applies to it, if any.
func (s *Server) admit(c *call, now time.Time) (Fault, bool) {
	nowMs := now.UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	// Like ZEGO's example (1660645050860325000): a 19-digit number, too big
	// for a float64 to hold exactly.
	c.rid = uint64(max(nowMs, 0))*1_000_000 + s.seq%1_000_000
	if c.named {
		if a := s.appLocked(c.appID); a != nil {
			perMinute, perDay := a.calls.record(nowMs)
			a.stats.Calls++
			a.stats.MaxPerMinute = max(a.stats.MaxPerMinute, perMinute)
			a.stats.MaxPerDay = max(a.stats.MaxPerDay, perDay)
			c.over = overQuota(perMinute, perDay, s.cfg.PerMinute, s.cfg.PerDay)
		}
	}
	return s.takeFault(c.appID, c.named)
}

// answer runs the checks in order and, if all pass, gathers the data.
func (s *Server) answer(c *call, now time.Time) answer {
	nowMs := now.UnixMilli()
	if c.over {
		return answer{code: CodeRateLimit, msg: "call rate over the quota"}
	}
	cm, err := checkCommon(c.q)
	if err == nil {
		err = s.authenticate(cm, nowMs)
	}
	var q query
	if err == nil {
		q, err = checkQuery(c.q, nowMs)
	}
	if err != nil {
		return answer{code: err.code, msg: err.msg}
	}
	a := answer{code: CodeSuccess, msg: "success"}
	a.series, a.points = s.gather(cm.appID, q, nowMs)
	a.qkey = hashOf(uint64(s.cfg.Seed), uint64(cm.appID), uint64(nowMs), uint64(q.startMs), uint64(q.endMs))
	return a
}

// authenticate checks the secret, the Timestamp window, the signature and
// finally the nonce, which is remembered only once the signature is right (a
// forged request must not burn a nonce).
func (s *Server) authenticate(cm common, nowMs int64) *apiError {
	secret, ok := s.secret(cm.appID)
	if !ok {
		return refuse(CodeNoServerSecret, "failed to get ServerSecret: unknown AppId")
	}
	if cm.ts > math.MaxInt64/1000 || cm.ts < math.MinInt64/1000 || abs(nowMs-cm.ts*1000) > clockToleranceMs {
		return refuse(CodeSignatureExpired, "signature expired: Timestamp is more than 10 minutes from the server clock")
	}
	if !signatureMatches(cm.signature, signText(cm.appText, cm.nonce, secret, cm.tsText)) {
		return refuse(CodeSignatureWrong, "signature wrong")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appLocked(cm.appID) // known AppID: never nil
	if a.nonces.reused(cm.nonce, nowMs) {
		return refuse(CodeSignatureWrong, "signature wrong: SignatureNonce was reused within 10 minutes")
	}
	a.nonces.add(cm.nonce, nowMs)
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// gather returns the points of q's metrics with StartTs <= t <= EndTs (both
// inclusive), t <= now - Delay and t >= now - Retention.
func (s *Server) gather(appID uint32, q query, nowMs int64) ([]series, int) {
	lo := max(q.startMs, nowMs-s.cfg.Retention.Milliseconds())
	hi := min(q.endMs, nowMs-s.cfg.Delay.Milliseconds())
	times := PointTimes(lo-1, hi, s.cfg.Granularity, s.cfg.PhaseMs)
	out := make([]series, len(q.metrics))
	for i, m := range q.metrics {
		out[i] = series{metric: m, times: times, values: make([]int64, len(times))}
	}
	for j, t := range times {
		snap := snapshot(s.cfg.Seed, appID, t) // all metrics at once
		for i, m := range q.metrics {
			out[i].values[j] = snap[m]
		}
	}
	return out, len(times) * len(q.metrics)
}

// respond records a JSON answer and writes it (always HTTP 200, as ZEGO
// does). Recording first means Stats never lags what a client has seen.
func (s *Server) respond(c *call, a answer) {
	body := s.encode(a, c.appID, c.rid)
	s.finish(c, a.code, a.points, a.msg)
	writeJSON(c.w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// finish records the outcome and logs it. The log names the AppID, never the
// secret, signature or nonce, nor any other text the client sent (a secret
// pasted into the wrong parameter must not end up in a log).
func (s *Server) finish(c *call, code, points int, note string) {
	if c.named {
		s.mu.Lock()
		if a := s.apps[c.appID]; a != nil {
			a.stats.Codes[code]++
			a.stats.PointsServed += points
		}
		s.mu.Unlock()
	}
	fault := ""
	if c.fault != "" {
		fault = " fault=" + c.fault
	}
	s.logf("zegosim: %s app=%s code=%d points=%d%s: %s", c.r.Method, c.appLabel(), code, points, fault, note)
}

// appLabel names the call's AppID for the log, "-" if it has none.
func (c *call) appLabel() string {
	if !c.named {
		return "-"
	}
	return strconv.FormatUint(uint64(c.appID), 10)
}

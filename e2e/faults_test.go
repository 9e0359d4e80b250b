//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// transientFaults are the failures the receiver retries at the next poll, and what its one
// warning must say about each.
var transientFaults = []struct {
	kind     string
	duration time.Duration // for slow: longer than the receiver's timeout
	code     int           // what the simulator records for the call
	says     string        // in the warning's error
}{
	{zegosim.FaultHTTP500HTML, 0, zegosim.CodeHTTPFault, "HTTP 502"},
	{zegosim.FaultTruncated, 0, zegosim.CodeHTTPFault, "invalid ZEGO answer"},
	{zegosim.FaultEmpty, 0, zegosim.CodeHTTPFault, "empty body"},
	{zegosim.FaultMalformed, 0, zegosim.CodeHTTPFault, "not JSON"},
	{zegosim.FaultReset, 0, zegosim.CodeHTTPFault, "connection reset"},
	{zegosim.FaultSlow, 10 * time.Second, zegosim.CodeHTTPFault, "timed out"},
	{zegosim.FaultCode500, 0, zegosim.CodeInternal, "code 500"},
	{zegosim.FaultOversize, 0, zegosim.CodeHTTPFault, "larger than MaxBodyBytes"},
}

// TestTransientFaultsThenRecovery runs one collector through every transient fault in turn, each
// for three polls in a row, then a good call: the collector stays up, warns once per fault with
// what went wrong, says when calls succeed again, stays within the quota, and the data delivered
// after each recovery has no gap and no duplicate.
func TestTransientFaultsThenRecovery(t *testing.T) {
	t.Parallel()
	const faultyCalls = 3
	// The tightest quota the validation accepts at this collection_interval, on both sides: the
	// simulator refuses (30002) any call over it.
	const perMinute = 30
	sim := startHostileSim(t, func(c *zegosim.Config) { c.PerMinute = perMinute })
	sink := newSink(t)
	cfg := hostileDefaults(sim.url, sink.URL())
	cfg.PerMinute = perMinute
	col := startCollector(t, "transient faults", writeConfig(t, cfg))
	col.waitFor(time.Minute, "2 accepted requests", func() bool { return sink.requests() >= 2 })

	for _, f := range transientFaults {
		if f.kind == zegosim.FaultSlow && f.duration <= cfg.Timeout {
			t.Fatalf("the slow fault (%v) must outlast the receiver's timeout (%v)", f.duration, cfg.Timeout)
		}
		start := time.Now()
		sim.InjectFault(zegosim.Fault{Kind: f.kind, Count: faultyCalls, Duration: f.duration, AppID: testAppID})
		var good simCall
		col.waitFor(time.Minute, fmt.Sprintf("%d calls with fault %s, then a good one", faultyCalls, f.kind), func() bool {
			faulty := 0
			for _, c := range sim.callsSince(start) {
				switch {
				case c.fault == f.kind:
					faulty++
				case faulty == faultyCalls && c.code == 0:
					good = c
					return true
				}
			}
			return false
		})
		// The good call asked for everything up to data_delay before it.
		wantMs := good.at.Add(-cfg.DataDelay - time.Second).UnixMilli()
		col.waitFor(30*time.Second, "the data of the good call at the sink", func() bool { return maxPointMs(sink) >= wantMs })
		// The receiver logs its recovery once the pipeline has accepted the batch, so just after
		// the sink has it.
		col.waitFor(30*time.Second, "the receiver saying calls succeed again", func() bool {
			return len(zegoLinesSince(col.output(), start, "GetRealtimeUsage calls succeed again")) > 0
		})

		out, points, phase, arrivals := col.output(), sink.snapshot(), sim.callsSince(start), sim.arrivalsSince(start)
		t.Run(f.kind, func(t *testing.T) {
			faulty := 0
			for _, c := range phase {
				if c.fault != f.kind {
					continue
				}
				faulty++
				if c.code != f.code {
					t.Errorf("a call with fault %s ended with code %d, want %d (%s)", f.kind, c.code, f.code, c.line)
				}
			}
			if faulty != faultyCalls {
				t.Errorf("%d calls met the fault, want %d", faulty, faultyCalls)
			}
			// One call per poll: no retry behind the poll's back (net/http resending a GET on a
			// broken connection, a retrying client), which ZEGO would meter too.
			for i := 1; i < len(arrivals); i++ {
				if gap := arrivals[i].Sub(arrivals[i-1]); gap < cfg.Interval-500*time.Millisecond {
					t.Errorf("two calls %v apart, less than collection_interval %v: a call was retried within a poll", gap.Round(time.Millisecond), cfg.Interval)
				}
			}
			loud := loudSince(out, start)
			if len(loud) != 1 {
				t.Errorf("want exactly one warning or error from the receiver for %d failed calls, got %d:%s", faultyCalls, len(loud), describe(loud))
			}
			if len(loud) > 0 {
				l := loud[0]
				if l.Level != "warn" || !strings.Contains(l.Msg, "GetRealtimeUsage failed") || l.ErrorClass != "transient" || !strings.Contains(l.Error, f.says) {
					t.Errorf("want a warning \"GetRealtimeUsage failed\" with error_class transient and an error saying %q, got:%s", f.says, describe(loud))
				}
				t.Logf("the receiver said: %s", l.Error)
			}
			if n := len(zegoLinesSince(out, start, "GetRealtimeUsage calls succeed again")); n != 1 {
				t.Errorf("the receiver said %d times that calls succeed again, want once", n)
			}
			cov := verifyPoints(t, points, testSeed, testAppID)
			if cov.lastMs < wantMs {
				t.Errorf("the sink's data ends at %d, before the good call's window end %d", cov.lastMs, wantMs)
			}
		})
	}
	col.stop()

	quotaHeld(t, sim.Server, testAppID, cfg, 0)
	if other := nonJSONLines(col.output()); len(other) > 0 {
		t.Errorf("the collector printed lines that are not JSON log lines (a panic?):\n%s", strings.Join(other, "\n"))
	}
	st := sim.Stats()[testAppID]
	t.Logf("simulator: %d calls, at most %d in a minute, codes %v", st.Calls, st.MaxPerMinute, st.Codes)
}

// backoffCase is a failure the receiver must not retry for a minute.
type backoffCase struct {
	name    string
	arm     func(*hostileSim) // makes the next call fail, or every call (storm)
	code    int               // the failed calls' return code
	class   string            // the log line's error_class
	fix     string            // in the log line's fix
	says    *regexp.Regexp    // in the log line's error, if set
	storm   bool              // the failure does not clear: two failed calls, no recovery
	skewSim bool              // the simulator's clock is 11 minutes ahead from the start

	sim   *hostileSim
	sink  *sink
	cfg   collectorConfig
	col   *collector
	armed time.Time
}

// TestBackoffFaultsThenRecovery covers the failures after which calling again at once cannot
// help: 30002 (rate limited, once and as a storm), 100000005 (bad credentials), 100000004 (clock
// skew, injected once and from a simulator whose clock is 11 minutes ahead), and 10001 (a
// permanent error). Each runs in its own collector, all at once, since each waits a minute: the
// receiver logs one clear error, makes no call for the minute of its backoff, then calls again;
// once the call succeeds it says so, and the data has no gap and no duplicate.
func TestBackoffFaultsThenRecovery(t *testing.T) {
	t.Parallel()
	skew := regexp.MustCompile(`the local clock is more than 10 minutes off \(it is (10m5[89]s|11m[01]s) behind ZEGO's server\)`)
	cases := []*backoffCase{
		{name: "rate_limit", code: zegosim.CodeRateLimit, class: "rate_limited", fix: "another caller shares this AppID's quota",
			arm: func(s *hostileSim) { s.InjectFault(zegosim.Fault{Kind: zegosim.FaultRateLimit, Count: 1}) }},
		{name: "rate_limit storm", code: zegosim.CodeRateLimit, class: "rate_limited", fix: "another caller shares this AppID's quota", storm: true,
			arm: func(s *hostileSim) { s.InjectFault(zegosim.Fault{Kind: zegosim.FaultRateLimit}) }},
		{name: "signature", code: zegosim.CodeSignatureWrong, class: "bad_credentials", fix: "check app_id and server_secret",
			arm: func(s *hostileSim) { s.InjectFault(zegosim.Fault{Kind: zegosim.FaultSignature, Count: 1}) }},
		{name: "clock_skew", code: zegosim.CodeSignatureExpired, class: "clock_skew", fix: "the local clock is more than 10 minutes off",
			// The simulator's clock (and Date header) is right: the error must not name a skew it did not see.
			says: regexp.MustCompile(`the local clock is more than 10 minutes off; synchronise it \(NTP\)`),
			arm:  func(s *hostileSim) { s.InjectFault(zegosim.Fault{Kind: zegosim.FaultClockSkew, Count: 1}) }},
		{name: "permanent", code: zegosim.CodeBadFormat, class: "permanent", fix: "ZEGO rejected the request's parameters",
			says: regexp.MustCompile(`code 10001 "StartTs is missing"`),
			arm:  func(s *hostileSim) { s.dropStartTs.Store(1) }},
		{name: "clock 11m off", code: zegosim.CodeSignatureExpired, class: "clock_skew", fix: "synchronise it (NTP)", says: skew, storm: true, skewSim: true},
	}

	for _, c := range cases {
		var edit func(*zegosim.Config)
		if c.skewSim {
			edit = func(sc *zegosim.Config) { sc.ClockOffset = 11 * time.Minute }
		}
		c.sim = startHostileSim(t, edit)
		c.sink = newSink(t)
		c.cfg = hostileDefaults(c.sim.url, c.sink.URL())
		if c.storm {
			c.cfg.LogLevel = "debug" // to see the repeats go to debug
		}
		c.col = startCollector(t, c.name, writeConfig(t, c.cfg))
		c.armed = time.Now()
	}
	for _, c := range cases {
		if c.skewSim {
			continue
		}
		c.col.waitFor(time.Minute, c.name+": 2 accepted requests", func() bool { return c.sink.requests() >= 2 })
		c.armed = time.Now()
		c.arm(c.sim)
	}
	// All collectors run meanwhile: these waits overlap.
	for _, c := range cases {
		c.col.waitFor(2*time.Minute, c.name+": the failed call and the call after the backoff", func() bool {
			return len(c.sim.callsSince(c.armed)) >= 2
		})
		if !c.storm {
			good := c.sim.callsSince(c.armed)[1]
			wantMs := good.at.Add(-c.cfg.DataDelay - time.Second).UnixMilli()
			c.col.waitFor(30*time.Second, c.name+": the data after the backoff at the sink", func() bool { return maxPointMs(c.sink) >= wantMs })
		}
	}
	for _, c := range cases {
		c.col.stop()
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

func (c *backoffCase) check(t *testing.T) {
	calls := c.sim.callsSince(c.armed)
	out := c.col.output()
	failed, next := calls[0], calls[1]
	if failed.code != c.code {
		t.Errorf("the first call after arming the fault got code %d, want %d (%s)", failed.code, c.code, failed.line)
	}
	// The backoff is a minute from the failed call; the next tick after it calls again.
	gap := next.at.Sub(failed.at)
	if gap < 59*time.Second {
		t.Errorf("the receiver called again %v after the failed call, within the one-minute backoff", gap.Round(time.Millisecond))
	}
	if limit := time.Minute + 2*c.cfg.Interval + 3*time.Second; gap > limit {
		t.Errorf("the receiver called again only %v after the failed call; the backoff is a minute (then the next tick)", gap.Round(time.Millisecond))
	}

	loud := loudSince(out, c.armed)
	if len(loud) != 1 {
		t.Errorf("want exactly one warning or error from the receiver, got %d:%s", len(loud), describe(loud))
	}
	var l logLine
	if len(loud) > 0 {
		l = loud[0]
	}
	if l.Level != "error" || !strings.Contains(l.Msg, "GetRealtimeUsage failed") || l.ErrorClass != c.class || !strings.Contains(l.Fix, c.fix) {
		t.Errorf("want an error \"GetRealtimeUsage failed\" with error_class %s and a fix saying %q, got:%s", c.class, c.fix, describe(loud))
	}
	if c.says != nil && !c.says.MatchString(l.Error) {
		t.Errorf("the error does not say %q: %s", c.says, l.Error)
	}
	if len(l.NextCall) == 0 {
		t.Errorf("the error does not say when the next call will be (next_call_in_at_least): %s", l.raw)
	}
	t.Logf("the receiver said: %s (fix: %s; next call in at least %s)", l.Error, l.Fix, l.NextCall)

	if c.storm {
		if next.code != c.code {
			t.Errorf("the call after the backoff got code %d, want %d again (%s)", next.code, c.code, next.line)
		}
		again := zegoLinesSince(out, c.armed, "GetRealtimeUsage failed again")
		if len(again) != 1 || again[0].Level != "debug" {
			t.Errorf("want the repeated failure logged once at debug level, got:%s", describe(again))
		} else if string(again[0].NextCall) == string(l.NextCall) {
			t.Errorf("the backoff did not grow after a second failure: next call in %s both times", l.NextCall)
		}
		if c.skewSim && c.sink.count() != 0 {
			t.Errorf("the sink received %d points from a simulator that refused every call", c.sink.count())
		}
		quotaHeld(t, c.sim.Server, testAppID, c.cfg, c.sim.Stats()[testAppID].Codes[zegosim.CodeRateLimit])
		return
	}

	if next.code != 0 {
		t.Errorf("the call after the backoff got code %d, want 0 (%s)", next.code, next.line)
	}
	if n := len(zegoLinesSince(out, c.armed, "GetRealtimeUsage calls succeed again")); n != 1 {
		t.Errorf("the receiver said %d times that calls succeed again, want once", n)
	}
	injected := 0
	if c.code == zegosim.CodeRateLimit {
		injected = 1
	}
	quotaHeld(t, c.sim.Server, testAppID, c.cfg, injected)
	cov := verifyPoints(t, c.sink.snapshot(), testSeed, testAppID)
	if wantMs := next.at.Add(-c.cfg.DataDelay - time.Second).UnixMilli(); cov.lastMs < wantMs {
		t.Errorf("the sink's data ends at %d, before the window of the call after the backoff (%d)", cov.lastMs, wantMs)
	}
	if span := time.Duration(cov.lastMs-cov.firstMs) * time.Millisecond; span < time.Minute {
		t.Errorf("the data spans only %v, less than the backoff it must bridge", span)
	}
}

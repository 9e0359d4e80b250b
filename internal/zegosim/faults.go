package zegosim

import (
	"fmt"
	"slices"
	"time"
)

// Fault kinds.
const (
	FaultHTTP500HTML = "http500_html" // HTTP 502 with an HTML page, as a failing gateway answers
	FaultTruncated   = "truncated"    // HTTP 200, the real JSON answer cut in the middle
	FaultEmpty       = "empty"        // HTTP 200, empty body
	FaultMalformed   = "malformed"    // HTTP 200, a body that is not JSON
	FaultReset       = "reset"        // the connection is closed (reset) without an answer
	FaultSlow        = "slow"         // wait Duration (or until the client leaves), then answer normally
	FaultRateLimit   = "rate_limit"   // Code 30002
	FaultCode500     = "code500"      // Code 500
	FaultSignature   = "signature"    // Code 100000005
	FaultClockSkew   = "clock_skew"   // Code 100000004
	FaultOversize    = "oversize"     // HTTP 200, valid JSON padded to OversizeBytes
)

// OversizeBytes is the padding of an "oversize" answer.
const OversizeBytes = 20 << 20

var faultKinds = []string{
	FaultHTTP500HTML, FaultTruncated, FaultEmpty, FaultMalformed, FaultReset, FaultSlow,
	FaultRateLimit, FaultCode500, FaultSignature, FaultClockSkew, FaultOversize,
}

// FaultKinds lists the known fault kinds.
func FaultKinds() []string { return slices.Clone(faultKinds) }

// Fault makes the next Count API calls (of AppID, or of every AppID when 0)
// misbehave. Faults apply after the quota has metered the call, in the order
// injected: the oldest fault that matches a call takes it.
type Fault struct {
	Kind     string
	Count    int           // calls it applies to; 0 = until cleared
	Duration time.Duration // for "slow"
	AppID    uint32        // 0 = every AppID
}

// Validate reports what is wrong with f, if anything.
func (f Fault) Validate() error {
	if !slices.Contains(faultKinds, f.Kind) {
		return fmt.Errorf("unknown fault kind %q (known: %v)", f.Kind, faultKinds)
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count %d is negative", f.Count)
	}
	if f.Duration < 0 || (f.Kind == FaultSlow && f.Duration == 0) {
		return fmt.Errorf("fault %q needs a positive duration, got %v", f.Kind, f.Duration)
	}
	return nil
}

// pendingFault is an injected fault and the calls it has left.
type pendingFault struct {
	Fault
	left int // meaningless when Count == 0
}

// InjectFault queues f. It panics if f is invalid (see Fault.Validate): a
// mistyped kind in a test must not pass silently.
func (s *Server) InjectFault(f Fault) {
	if err := f.Validate(); err != nil {
		panic("zegosim: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{Fault: f, left: f.Count})
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults lists the pending faults, Count holding the calls left (0 = until
// cleared).
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, p := range s.faults {
		f := p.Fault
		if f.Count > 0 {
			f.Count = p.left
		}
		out = append(out, f)
	}
	return out
}

// takeFault consumes one use of the oldest fault matching the call. A call
// without a well-formed AppId matches only faults for every AppID. The caller
// holds s.mu.
func (s *Server) takeFault(appID uint32, named bool) (Fault, bool) {
	for i, p := range s.faults {
		if p.AppID != 0 && (!named || p.AppID != appID) {
			continue
		}
		if p.Count > 0 {
			p.left--
			if p.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return p.Fault, true
	}
	return Fault{}, false
}

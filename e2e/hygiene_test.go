//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

var (
	// anyHex32 is what an MD5 signature (or a 32-hex ServerSecret) looks like.
	anyHex32 = regexp.MustCompile(`[0-9a-fA-F]{32}`)
	// signatureParam finds a Signature parameter and its value, also URL-escaped or JSON-escaped.
	signatureParam = regexp.MustCompile(`(?i)\bsignature(?:=|%3D)([^&"\s\\]*)`)
)

// TestSecretHygiene runs the distribution at debug log level with file_storage through success,
// every error class (each transient fault, 30002, 100000005, 100000004, 10001) and five
// shutdowns: neither the server secret nor any signature it sent appears in its output or in the
// storage directory, and every Signature parameter it prints is REDACTED.
//
// Each error class that backs off for a minute ends its run, and the next run starts with the
// next class: the backoff lives in memory, so the restart skips it.
func TestSecretHygiene(t *testing.T) {
	t.Parallel()
	sim := startHostileSim(t, nil)
	sink := newSink(t)
	cfg := hostileDefaults(sim.url, sink.URL())
	cfg.LogLevel = "debug"
	cfg.StorageDir = t.TempDir()
	path := writeConfig(t, cfg)

	var outputs []string
	run := func(name string, arm func(), body func(*collector)) {
		if arm != nil {
			arm()
		}
		col := startCollector(t, name, path)
		body(col)
		col.stop()
		outputs = append(outputs, col.output())
	}
	// failOnce waits for the armed call to fail and for the next poll to be skipped (the backoff,
	// logged at debug level), then the run ends.
	failOnce := func(code int) func(*collector) {
		return func(col *collector) {
			start := time.Now()
			col.waitFor(time.Minute, "a call answered with the armed code", func() bool {
				for _, c := range sim.callsSince(start.Add(-time.Second)) {
					if c.code == code {
						return true
					}
				}
				return false
			})
			col.waitFor(30*time.Second, "a poll skipped during the backoff", func() bool {
				return len(zegoLinesSince(col.output(), start, "Poll skipped")) > 0
			})
		}
	}

	run("success, transient faults, rate limit", nil, func(col *collector) {
		col.waitFor(time.Minute, "2 accepted requests", func() bool { return sink.requests() >= 2 })
		for _, f := range transientFaults {
			sim.InjectFault(zegosim.Fault{Kind: f.kind, Count: 1, Duration: f.duration})
		}
		start := time.Now()
		col.waitFor(2*time.Minute, "every transient fault, then a good call", func() bool {
			calls := sim.callsSince(start)
			return len(sim.Faults()) == 0 && len(calls) > 0 && calls[len(calls)-1].code == 0 && calls[len(calls)-1].fault == ""
		})
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultRateLimit, Count: 1})
		failOnce(zegosim.CodeRateLimit)(col)
	})
	run("bad credentials", func() { sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultSignature, Count: 1}) }, failOnce(zegosim.CodeSignatureWrong))
	run("clock skew", func() { sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultClockSkew, Count: 1}) }, failOnce(zegosim.CodeSignatureExpired))
	run("permanent", func() { sim.dropStartTs.Store(1) }, failOnce(zegosim.CodeBadFormat))
	run("success again", nil, func(col *collector) {
		before := sink.requests()
		col.waitFor(time.Minute, "2 more accepted requests", func() bool { return sink.requests() >= before+2 })
	})

	out := strings.Join(outputs, "\n")
	signatures := sim.sentSignatures()

	// The run went where it had to: debug lines, every error class, redacted URLs, a checkpoint.
	classes := map[string]bool{}
	debug := 0
	for _, l := range parseLogs(out) {
		if l.Component != "zego" {
			continue
		}
		if l.ErrorClass != "" {
			classes[l.ErrorClass] = true
		}
		if l.Level == "debug" {
			debug++
		}
	}
	for _, class := range []string{"transient", "rate_limited", "bad_credentials", "clock_skew", "permanent"} {
		if !classes[class] {
			t.Errorf("no log line with error_class %s: the run did not cover it", class)
		}
	}
	if debug == 0 {
		t.Errorf("no debug line from the receiver: the run was not at debug level")
	}
	if !strings.Contains(out, "Signature=REDACTED") {
		t.Errorf("no redacted request URL in the output: the paths that print the URL (reset, timeout) were not covered")
	}
	if st := sim.Stats()[testAppID]; len(signatures) != st.Calls || st.Calls < 15 {
		t.Errorf("%d distinct signatures for %d calls: want one per call, and at least 15 calls", len(signatures), st.Calls)
	}

	checkClean := func(where, text string) {
		t.Helper()
		if strings.Contains(text, testSecret) {
			t.Errorf("%s contains the server secret", where)
		}
		for _, sig := range signatures {
			if strings.Contains(text, sig) {
				t.Errorf("%s contains the signature %s... of a request", where, sig[:6])
			}
		}
		if m := anyHex32.FindString(text); m != "" {
			t.Errorf("%s contains a 32-hex value like a signature: %s...", where, m[:6])
		}
		for _, m := range signatureParam.FindAllStringSubmatch(text, -1) {
			if m[1] != "REDACTED" {
				t.Errorf("%s contains a Signature parameter that is not REDACTED: %q", where, m[0])
			}
		}
	}
	checkClean("the collector's output", out)

	entries, err := os.ReadDir(cfg.StorageDir)
	if err != nil {
		t.Fatal(err)
	}
	checkpoints := 0
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(cfg.StorageDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), `"app_id":1234567`) {
			checkpoints++
		}
		checkClean("storage file "+e.Name(), string(raw))
	}
	if checkpoints == 0 {
		t.Errorf("no checkpoint found in the storage directory (%d files): nothing was checked there", len(entries))
	}
	t.Logf("%d runs, %d calls, %d signatures checked, %d storage files, error classes %v", len(outputs), sim.Stats()[testAppID].Calls, len(signatures), len(entries), classes)
}

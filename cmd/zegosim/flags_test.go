package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

func TestParseArgs(t *testing.T) {
	appFile := filepath.Join(t.TempDir(), "apps.txt")
	require.NoError(t, os.WriteFile(appFile, []byte("# test apps\n\n1:one\n 2:two \n"), 0o600))

	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o options)
	}{
		{"defaults", []string{"-app", "12345:s"}, func(t *testing.T, o options) {
			assert.Equal(t, "127.0.0.1:9300", o.listen)
			assert.Equal(t, map[uint32]string{12345: "s"}, o.cfg.Apps)
			assert.Equal(t, int64(1), o.cfg.Seed)
			assert.Equal(t, 3*time.Minute, o.cfg.Delay)
			assert.Equal(t, 2*time.Hour, o.cfg.Retention)
			assert.Equal(t, time.Second, o.cfg.Granularity)
			assert.Equal(t, 3, o.cfg.PerMinute)
			assert.Equal(t, 480, o.cfg.PerDay)
			assert.False(t, o.cfg.Quirks)
			assert.False(t, o.verbose)
			assert.Empty(t, o.faults)
		}},
		{"everything", []string{
			"-listen", ":0", "-app", "1:a", "-app", "2:b", "-any-secret", "z", "-seed", "-4",
			"-delay", "30s", "-retention", "1h", "-granularity", "1m", "-phase-ms", "767",
			"-per-minute", "10", "-per-day", "1000", "-clock-offset", "-11m", "-quirks",
			"-addr-file", "/tmp/x", "-fault", "code500:2", "-fault", "slow:1:5s", "-fault", "reset", "-v",
		}, func(t *testing.T, o options) {
			assert.Equal(t, ":0", o.listen)
			assert.Equal(t, map[uint32]string{1: "a", 2: "b"}, o.cfg.Apps)
			assert.Equal(t, "z", o.cfg.AnySecret)
			assert.Equal(t, int64(-4), o.cfg.Seed)
			assert.Equal(t, 30*time.Second, o.cfg.Delay)
			assert.Equal(t, time.Hour, o.cfg.Retention)
			assert.Equal(t, time.Minute, o.cfg.Granularity)
			assert.Equal(t, int64(767), o.cfg.PhaseMs)
			assert.Equal(t, 10, o.cfg.PerMinute)
			assert.Equal(t, 1000, o.cfg.PerDay)
			assert.Equal(t, -11*time.Minute, o.cfg.ClockOffset)
			assert.True(t, o.cfg.Quirks)
			assert.Equal(t, "/tmp/x", o.addrFile)
			assert.True(t, o.verbose)
			assert.Equal(t, []zegosim.Fault{
				{Kind: zegosim.FaultCode500, Count: 2},
				{Kind: zegosim.FaultSlow, Count: 1, Duration: 5 * time.Second},
				{Kind: zegosim.FaultReset},
			}, o.faults)
		}},
		{"zero means none", []string{"-any-secret", "z", "-delay", "0", "-per-minute", "0", "-per-day", "0"}, func(t *testing.T, o options) {
			assert.Negative(t, o.cfg.Delay)
			assert.Negative(t, o.cfg.PerMinute)
			assert.Negative(t, o.cfg.PerDay)
		}},
		{"app file", []string{"-app-file", appFile, "-app", "3:three"}, func(t *testing.T, o options) {
			assert.Equal(t, map[uint32]string{1: "one", 2: "two", 3: "three"}, o.cfg.Apps)
		}},
		{"tls", []string{"-app", "1:a", "-tls-cert", "c.pem", "-tls-key", "k.pem"}, func(t *testing.T, o options) {
			assert.Equal(t, "c.pem", o.tlsCert)
			assert.Equal(t, "k.pem", o.tlsKey)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			o, err := parseArgs(tt.args, &stderr)
			require.NoError(t, err, stderr.String())
			tt.check(t, o)
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	badFile := filepath.Join(t.TempDir(), "bad.txt")
	require.NoError(t, os.WriteFile(badFile, []byte("1:one\nsupersecret\n"), 0o600))
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no credentials", nil, "no credentials"},
		{"app without secret", []string{"-app", "12345"}, "ID:SECRET"},
		{"app with bad id", []string{"-app", "x:supersecret"}, "-app #1: AppID \"x\" is not a decimal uint32"},
		{"app given two secrets", []string{"-app", "1:a", "-app", "1:supersecret"}, "-app #2: AppID 1 is given two different secrets"},
		{"missing app file", []string{"-app-file", "/nonexistent/apps"}, "-app-file"},
		{"bad app file line", []string{"-app-file", badFile}, "line 2"},
		{"unknown fault", []string{"-app", "1:a", "-fault", "boom"}, "unknown fault kind"},
		{"slow without duration", []string{"-app", "1:a", "-fault", "slow:1"}, "positive duration"},
		{"fault count not a number", []string{"-app", "1:a", "-fault", "code500:x"}, "count"},
		{"cert without key", []string{"-app", "1:a", "-tls-cert", "c.pem"}, "go together"},
		{"negative delay", []string{"-app", "1:a", "-delay", "-1s"}, "negative"},
		{"zero retention", []string{"-app", "1:a", "-retention", "0"}, "retention"},
		{"sub-millisecond granularity", []string{"-app", "1:a", "-granularity", "1500us"}, "milliseconds"},
		{"negative quota", []string{"-app", "1:a", "-per-day", "-1"}, "negative"},
		{"positional argument", []string{"-app", "1:a", "extra"}, "unexpected argument"},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseArgs(tt.args, &stderr)
			require.Error(t, err)
			var usage usageError
			assert.ErrorAs(t, err, &usage, "a usage error (exit 2)")
			assert.Contains(t, stderr.String(), tt.want)
			assert.NotContains(t, stderr.String(), "supersecret", "a bad line is not quoted")
		})
	}
}

// TestHelp checks that -help explains every flag, the admin endpoints and
// every fault kind.
func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"-help"}, &stdout, &stderr, nil)
	require.True(t, errors.Is(err, flag.ErrHelp), "%v", err)
	help := stderr.String()
	for _, f := range []string{
		"listen", "app", "app-file", "any-secret", "seed", "delay", "retention", "granularity", "phase-ms",
		"per-minute", "per-day", "clock-offset", "quirks", "tls-cert", "tls-key", "addr-file", "fault", "v",
	} {
		assert.True(t, regexp.MustCompile(`\n  -`+f+`[ \t\n]`).MatchString(help), "flag -%s is not explained", f)
	}
	for _, s := range []string{"POST   /admin/faults", "DELETE /admin/faults", "GET    /admin/stats", "/healthz", "30002", "100000010"} {
		assert.Contains(t, help, s)
	}
	for _, k := range zegosim.FaultKinds() {
		assert.True(t, strings.Contains(help, "\n  "+k+" "), "fault kind %s is not explained", k)
	}
	assert.Empty(t, stdout.String())
	assert.False(t, strings.Contains(help, "(default \"\")"))
}

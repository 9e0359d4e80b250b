// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// TestDistribution runs the built collector with the zego receiver, both interfaces enabled,
// into an OTLP/HTTP sink: every point of every answered window arrives once, at ZEGO's
// timestamp, with the simulator's value and the zego.app_id resource attribute. (That the plan is
// logged before the first call, TestStartSaysThePlanFirst checks in-process.)
func TestDistribution(t *testing.T) {
	t.Parallel()
	sim, simURL := startSim(t, nil)
	s := newSink(t)
	cfg := defaults(simURL, "otlp_http", s.srv.URL)
	cfg.Lookback = 2 * time.Minute // spans a minute boundary: GetRealtimeQuality has points
	cfg.Metrics = map[string]bool{}
	for _, m := range zegosim.QualityMetrics {
		cfg.Metrics["zego.realtime."+m] = true
	}
	col := startCollector(t, "collector", nil, writeConfig(t, cfg))

	mustWait(t, col, time.Minute, "3 answered polls of each interface", func() bool {
		return len(successes(sim, zegosim.ActionUsage)) >= 3 && len(successes(sim, zegosim.ActionQuality)) >= 3
	})
	want := settle(t, sim, s, col)
	got, _ := s.received()
	checkDelivery(t, want, got)

	perAction := map[string]int{}
	for k := range want {
		action := zegosim.ActionUsage
		if slices.Contains(zegosim.QualityMetrics, strings.TrimPrefix(k.metric, "zego.realtime.")) {
			action = zegosim.ActionQuality
		}
		perAction[action]++
	}
	if perAction[zegosim.ActionUsage] < 6*10 || perAction[zegosim.ActionQuality] < 8 {
		t.Errorf("too few points answered to prove anything: %v", perAction)
	}
	t.Logf("%d points delivered: %v", len(got), perAction)

	// Freshness, as a user sees it at the backend: a point's age when it arrives, after the first
	// window (whose initial_lookback is old by design). Reported, not asserted: on these settings
	// a point waits data_delay, then up to one interval for the next poll.
	var ages []time.Duration
	firstEnd := successes(sim, zegosim.ActionUsage)[0].EndMs
	for _, p := range got {
		if p.tsMs >= firstEnd && slices.Contains(zegosim.UsageMetrics, strings.TrimPrefix(p.metric, "zego.realtime.")) {
			ages = append(ages, p.arrived.Sub(time.Unix(0, int64(p.tsNs))))
		}
	}
	if slices.Sort(ages); len(ages) > 0 {
		t.Logf("freshness of %d usage points: median %v, max %v (data_delay %v + up to one interval %v)",
			len(ages), ages[len(ages)/2].Round(time.Millisecond), ages[len(ages)-1].Round(time.Millisecond), step, step)
	}
}

// TestRestartResumesFromCheckpoint stops the collector with SIGTERM mid-run and starts it again
// on the same file_storage directory after a downtime longer than initial_lookback: across the
// restart every point arrives exactly once and without a gap, and the second process says it
// resumes from the checkpoint.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	t.Parallel()
	sim, simURL := startSim(t, nil)
	s := newSink(t)
	cfg := defaults(simURL, "otlp_http", s.srv.URL)
	cfg.StorageDir = t.TempDir()
	cfg.Lookback = 4 * time.Second
	path := writeConfig(t, cfg)
	polls := func(n int) func() bool {
		return func() bool { return len(successes(sim, zegosim.ActionUsage)) >= n }
	}

	first := startCollector(t, "first collector", nil, path)
	mustWait(t, first, time.Minute, "3 answered polls", polls(3))
	first.stop(t)
	before := len(successes(sim, zegosim.ActionUsage))
	// The scenario: down for longer than initial_lookback, so that a fresh start would leave a gap.
	time.Sleep(3 * cfg.Lookback)

	second := startCollector(t, "second collector", nil, path)
	mustWait(t, second, time.Minute, "3 more answered polls", polls(before+3))
	want := settle(t, sim, s, second)
	second.stop(t)
	got, _ := s.received()
	checkDelivery(t, want, got)

	if out := second.out.String(); !strings.Contains(out, zegosim.ActionUsage+" from checkpoint at") {
		t.Errorf("the second collector did not say it resumes from the checkpoint")
	}
	if strings.Contains(first.out.String(), "from checkpoint") {
		t.Errorf("the first collector, on an empty storage, claims to resume from a checkpoint")
	}
	t.Logf("%d points over %d polls, %d of them before the restart", len(got), len(successes(sim, zegosim.ActionUsage)), before)
}

// TestBadConfigExits starts the collector on an invalid configuration: it exits non-zero at once,
// saying what is wrong, and no call reaches the simulator. (Which problems validation finds, and
// how it words them: the unit test TestInvalidConfigs.)
func TestBadConfigExits(t *testing.T) {
	t.Parallel()
	sim, simURL := startSim(t, nil)
	cfg := defaults(simURL, "debug", "")
	cfg.AppIDs = []uint32{0} // app_id missing
	col := startCollector(t, "collector", nil, writeConfig(t, cfg))

	mustWait(t, nil, time.Minute, "the collector to exit", col.exited)
	if col.err == nil {
		t.Errorf("the collector exited with status 0 on an invalid configuration")
	}
	if out := col.out.String(); !strings.Contains(out, "app_id is required") {
		t.Errorf("the output does not say app_id is required:\n%s", out)
	}
	if calls := sim.Calls(); len(calls) != 0 {
		t.Errorf("%d calls reached the simulator", len(calls))
	}
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

//go:build e2e && linux

package e2e

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// TestFootprint is `make footprint` (scripts/footprint.sh), skipped unless ZEGO_FOOTPRINT=1: the
// collector with one zego receiver per App ID against the simulator, for each count in
// FOOTPRINT_APPS (default "1 100"). It waits for the first poll round, reads the CPU ticks over
// an idle stretch (FOOTPRINT_IDLE seconds, default 60) between polls (FOOTPRINT_INTERVAL, default
// 90), waits for the second round and reads the resident memory. FOOTPRINT_LOOKBACK (seconds,
// default 180) sets initial_lookback: 7200 makes the first round a two-hour backfill of every App
// ID at once. FOOTPRINT_LATE_WINDOW (seconds) sets late_window: with FOOTPRINT_LOOKBACK as long,
// every poll of the second round asks for that much again. FOOTPRINT_REGION=1 also enables every GetRegionQualityDetail metric (platform all);
// FOOTPRINT_DAILY=1 every GetBizUsage and GetBizQuality metric, whose newest day comes in the first
// round only.
// Only the memory goals are asserted.
func TestFootprint(t *testing.T) {
	if os.Getenv("ZEGO_FOOTPRINT") != "1" {
		t.Skip("ZEGO_FOOTPRINT=1 runs it (make footprint)")
	}
	seconds := func(name string, def int) time.Duration {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return time.Duration(n) * time.Second
		}
		return time.Duration(def) * time.Second
	}
	interval, idle, lookback := seconds("FOOTPRINT_INTERVAL", 90), seconds("FOOTPRINT_IDLE", 60), seconds("FOOTPRINT_LOOKBACK", 180)
	lateWindow := seconds("FOOTPRINT_LATE_WINDOW", 0)
	const settle = 5 * time.Second // after a round, before reading
	if idle+2*settle+10*time.Second > interval {
		t.Fatalf("FOOTPRINT_IDLE=%v does not fit between polls FOOTPRINT_INTERVAL=%v apart", idle, interval)
	}
	sim, simURL := startSim(t, func(c *zegosim.Config) { c.Apps, c.AnySecret, c.PerMinute, c.PerDay = nil, testSecret, -1, -1 })
	rows := []string{"App IDs | initial_lookback | late_window | CPU to 1st round (ticks, incl. start) | RSS after 1st round | after 2nd | peak (VmHWM) | threads | idle CPU (ticks in idle s) | 2nd round CPU (ticks) | 2nd round time"}
	for _, field := range strings.Fields(cmp.Or(os.Getenv("FOOTPRINT_APPS"), "1 100")) {
		n, err := strconv.Atoi(field)
		if err != nil || n < 1 {
			t.Fatalf("FOOTPRINT_APPS: %q", field)
		}
		cfg := defaults(simURL, "debug", "")
		cfg.AppIDs, cfg.Interval, cfg.Lookback, cfg.LateWindow = nil, interval, lookback, lateWindow
		perRound, firstOnly := n, 0 // batches each poll round delivers, and the first round alone
		if os.Getenv("FOOTPRINT_REGION") == "1" {
			cfg.Metrics, perRound = map[string]bool{"zego.region.login_success_rate": true, "zego.region.login_success_rate_5s": true}, 2*n
			for _, block := range []string{"peer_to_peer_delay", "peer_to_peer_packet_loss", "video_break", "audio_break", "video_first_frame", "audio_first_frame"} {
				cfg.Metrics["zego.region."+block+".ratio"], cfg.Metrics["zego.region."+block+".samples"] = true, true
			}
		}
		if os.Getenv("FOOTPRINT_DAILY") == "1" {
			cfg.Metrics, firstOnly = map[string]bool{}, 2*n
			for _, m := range slices.Concat(zegosim.BizUsageMetrics, zegosim.BizQualityMetrics) {
				cfg.Metrics["zego.daily."+m] = true
			}
		}
		for i := 1; i <= n; i++ {
			cfg.AppIDs = append(cfg.AppIDs, uint32(i))
		}
		col := startCollector(t, fmt.Sprintf("collector with %d receivers", n), nil, writeConfig(t, cfg))
		pid := col.cmd.Process.Pid
		batches := func() int { return strings.Count(col.out.String(), `"data points"`) }
		round := func(k int, timeout time.Duration) {
			mustWait(t, col, timeout, fmt.Sprintf("poll round %d (%d batches)", k, k*perRound+firstOnly), func() bool { return batches() >= k*perRound+firstOnly })
		}

		round(1, max(3*time.Minute, interval))
		firstCPU := cpuTicks(t, pid)
		time.Sleep(settle)
		rss1 := procStatus(t, pid, "VmRSS")
		before, idleFrom, idleStart := batches(), cpuTicks(t, pid), time.Now()
		time.Sleep(idle) // the measurement: nothing is due until the next poll
		idleTicks, idleFor := cpuTicks(t, pid)-idleFrom, time.Since(idleStart)
		if batches() != before {
			t.Fatalf("a poll fell inside the idle stretch: lower FOOTPRINT_IDLE or raise FOOTPRINT_INTERVAL")
		}
		roundFrom := cpuTicks(t, pid)
		// From the round's first batch to its last: how long a round of n polls takes.
		mustWait(t, col, interval+time.Minute, "poll round 2 to begin", func() bool { return batches() > before })
		roundBegan := time.Now()
		round(2, interval+time.Minute)
		roundTook := time.Since(roundBegan)
		time.Sleep(settle)
		hwm := procStatus(t, pid, "VmHWM")
		rows = append(rows, fmt.Sprintf("%d | %v | %v | %d | %.1f MiB | %.1f MiB | %.1f MiB | %d | %d in %.0f s | %d | %.1f s",
			n, lookback, lateWindow, firstCPU, mib(rss1), mib(procStatus(t, pid, "VmRSS")), mib(hwm),
			procStatus(t, pid, "Threads"), idleTicks, idleFor.Seconds(), cpuTicks(t, pid)-roundFrom, roundTook.Seconds()))
		if goal := map[int]int64{1: 60e6, 100: 150e6}[n]; goal > 0 && hwm*1024 > goal {
			t.Errorf("%d App IDs: peak resident memory %.1f MB, the goal is %d MB", n, float64(hwm)*1024/1e6, goal/1e6)
		}
		col.stop(t)
	}
	t.Logf("footprint (%d calls answered; a tick is 10 ms of CPU; GOGC and GOMEMLIMIT unset):\n%s", len(sim.Calls()), strings.Join(rows, "\n"))
}

func mib(kB int64) float64 { return float64(kB) / 1024 }

// procStatus reads a field of /proc/<pid>/status, in kB for the memory fields.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			v, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// cpuTicks is utime+stime of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 a second).
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // the command name may hold spaces
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return utime + stime
}

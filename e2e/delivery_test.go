//go:build e2e

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// TestSteadyState runs the collector for about ten polls against a simulator answering in
// ZEGO's quirky shapes (shuffled points, repeated points, values as 1000.0, timestamps off the
// whole second) and checks every point arrived exactly once, with no gap, with the simulator's
// values. It reports how fresh the points were on arrival.
func TestSteadyState(t *testing.T) {
	t.Parallel()
	sim, simURL := startSim(t, func(c *zegosim.Config) {
		c.Quirks = true
		c.PhaseMs = 367
	})
	sink := newSink(t)
	cfg := defaultConfig(simURL, sink.URL())
	started := time.Now()
	col := startCollector(t, "steady", writeConfig(t, cfg))
	col.waitFor(time.Minute, "10 accepted requests at the sink", func() bool { return sink.requests() >= 10 })
	col.stop()
	stopped := time.Now()

	points := sink.snapshot()
	cov := verifyPoints(t, points, testSeed, testAppID)
	t.Logf("%d points per metric, %s .. %s", cov.perMetric,
		time.UnixMilli(cov.firstMs).UTC().Format(time.RFC3339Nano), time.UnixMilli(cov.lastMs).UTC().Format(time.RFC3339Nano))

	// The first poll covers initial_lookback before now - data_delay; the last one ends no later
	// than data_delay before the stop.
	earliest := started.Add(-cfg.DataDelay - cfg.InitialLookback - time.Second).UnixMilli()
	if cov.firstMs < earliest {
		t.Errorf("first point %d is older than initial_lookback allows (%d)", cov.firstMs, earliest)
	}
	if latest := stopped.Add(-cfg.DataDelay).UnixMilli(); cov.lastMs > latest {
		t.Errorf("last point %d is newer than data_delay allows (%d)", cov.lastMs, latest)
	}
	if cov.lastMs-cov.firstMs < (15 * time.Second).Milliseconds() {
		t.Errorf("only %v covered in ten polls", time.Duration(cov.lastMs-cov.firstMs)*time.Millisecond)
	}

	st := sim.Stats()[testAppID]
	if st.MaxPerMinute > cfg.PerMinute {
		t.Errorf("the simulator saw %d calls in a minute, the quota is %d", st.MaxPerMinute, cfg.PerMinute)
	}
	if st.Codes[0] != st.Calls {
		t.Errorf("not every call succeeded: %d calls, codes %v", st.Calls, st.Codes)
	}
	t.Logf("simulator: %d calls, at most %d in a minute, %d points served", st.Calls, st.MaxPerMinute, st.PointsServed)

	reportFreshness(t, points, cfg)
}

// reportFreshness logs how long after its own timestamp each point reached the sink, leaving
// out the first request (the initial lookback, old by design). It reports; it does not assert.
func reportFreshness(t *testing.T, points []point, cfg collectorConfig) {
	t.Helper()
	var ages []time.Duration
	for _, p := range points {
		if p.request > 0 {
			ages = append(ages, p.arrival.Sub(time.UnixMilli(p.tsMs)))
		}
	}
	if len(ages) == 0 {
		t.Log("freshness: no point after the first request")
		return
	}
	slices.Sort(ages)
	bound := cfg.DataDelay + cfg.Interval/2 + time.Second
	t.Logf("freshness (arrival at the sink - point timestamp, %d points after the first request): min %v, median %v, max %v; expected median within data_delay + collection_interval/2 + 1s = %v",
		len(ages), ages[0].Round(time.Millisecond), ages[len(ages)/2].Round(time.Millisecond), ages[len(ages)-1].Round(time.Millisecond), bound)
}

// TestRestartWithFileStorage stops the collector with SIGTERM and starts it again a few seconds
// later on the same file_storage directory: across both runs every point arrives exactly once,
// with no gap, although the downtime is longer than initial_lookback.
func TestRestartWithFileStorage(t *testing.T) {
	t.Parallel()
	sim, simURL := startSim(t, nil)
	sink := newSink(t)
	cfg := defaultConfig(simURL, sink.URL())
	cfg.StorageDir = t.TempDir()
	cfg.InitialLookback = 2 * time.Second // shorter than the downtime: only the checkpoint avoids a gap
	path := writeConfig(t, cfg)

	first := startCollector(t, "first run", path)
	first.waitFor(time.Minute, "4 accepted requests", func() bool { return sink.requests() >= 4 })
	first.stop()
	firstRun := sink.snapshot()

	// The downtime is the scenario itself, not a synchronisation: it must outlast
	// initial_lookback so that a lost checkpoint would show as a gap.
	time.Sleep(5 * time.Second)

	second := startCollector(t, "second run", path)
	before := sink.requests()
	second.waitFor(time.Minute, "4 more accepted requests", func() bool { return sink.requests() >= before+4 })
	second.stop()

	if !strings.Contains(second.output(), "Resuming from checkpoint") {
		t.Errorf("the second run did not log that it resumed from the checkpoint")
	}
	points := sink.snapshot()
	cov := verifyPoints(t, points, testSeed, testAppID)
	lastOfFirst := int64(0)
	for _, p := range firstRun {
		lastOfFirst = max(lastOfFirst, p.tsMs)
	}
	if lastOfFirst == 0 || lastOfFirst >= cov.lastMs {
		t.Errorf("the second run delivered nothing new (first run ended at %d, all points end at %d)", lastOfFirst, cov.lastMs)
	}
	t.Logf("%d points per metric across both runs; the first run delivered %d points in all, up to %s",
		cov.perMetric, len(firstRun), time.UnixMilli(lastOfFirst).UTC().Format(time.RFC3339Nano))
	if st := sim.Stats()[testAppID]; st.MaxPerMinute > cfg.PerMinute {
		t.Errorf("the simulator saw %d calls in a minute, the quota is %d", st.MaxPerMinute, cfg.PerMinute)
	}
}

// TestExporterOutage makes the sink answer 503 for several polls while the exporter has neither
// a sending queue nor retries, so the pipeline refuses the data: the receiver must keep its
// cursor and deliver the whole outage once the sink recovers, with no gap and no duplicate.
func TestExporterOutage(t *testing.T) {
	t.Parallel()
	_, simURL := startSim(t, nil)
	sink := newSink(t)
	cfg := defaultConfig(simURL, sink.URL())
	cfg.NoQueue = true
	col := startCollector(t, "outage", writeConfig(t, cfg))

	col.waitFor(time.Minute, "2 accepted requests", func() bool { return sink.requests() >= 2 })
	sink.setFailing(true)
	beforeOutage := sink.count()
	col.waitFor(time.Minute, "3 refused requests", func() bool { return sink.rejected.Load() >= 3 })
	afterOutage := sink.requests() // nothing is accepted while failing: the next accepted request has this index
	sink.setFailing(false)
	col.waitFor(time.Minute, "3 accepted requests after the outage", func() bool { return sink.requests() >= afterOutage+3 })
	col.stop()

	if !strings.Contains(col.output(), "The pipeline did not accept the data") {
		t.Errorf("the receiver did not log that the pipeline refused the data")
	}
	points := sink.snapshot()
	cov := verifyPoints(t, points, testSeed, testAppID)
	// The first request after the outage carries the whole outage: at least three polls' worth.
	recovered := 0
	for _, p := range points {
		if p.request == afterOutage {
			recovered++
		}
	}
	if least := 3 * int(cfg.Interval/granularity) * len(metricNames); recovered < least {
		t.Errorf("the first request after the outage held %d points, want at least %d (three polls' worth)", recovered, least)
	}
	t.Logf("%d points per metric; %d points before the outage, %d refused requests, %d points in the first request after it",
		cov.perMetric, beforeOutage, sink.rejected.Load(), recovered)
}

// TestTwoHourBackfill starts with initial_lookback 2h against a simulator keeping 2h: the
// first poll delivers the whole retained range (less the receiver's one-minute safety margin)
// in one batch, every point with its value, exactly once.
func TestTwoHourBackfill(t *testing.T) {
	t.Parallel()
	_, simURL := startSim(t, func(c *zegosim.Config) { c.Retention = 2 * time.Hour })
	sink := newSink(t)
	cfg := defaultConfig(simURL, sink.URL())
	cfg.InitialLookback = 2 * time.Hour
	started := time.Now()
	col := startCollector(t, "backfill", writeConfig(t, cfg))
	col.waitFor(2*time.Minute, "the first poll's data and one more poll", func() bool { return sink.requests() >= 2 })
	col.stop()

	points := sink.snapshot()
	var firstPoll []point
	for _, p := range points {
		if p.request == 0 {
			firstPoll = append(firstPoll, p)
		}
	}
	firstCov := verifyPoints(t, firstPoll, testSeed, testAppID)
	t.Logf("first poll: %d points per metric, %s .. %s, %v behind the start", firstCov.perMetric,
		time.UnixMilli(firstCov.firstMs).UTC().Format(time.RFC3339), time.UnixMilli(firstCov.lastMs).UTC().Format(time.RFC3339),
		started.Sub(time.UnixMilli(firstCov.firstMs)).Round(time.Second))
	// ZEGO keeps 2h (7200 points); the receiver leaves a one-minute margin at the old end and
	// data_delay at the new end.
	if firstCov.perMetric < 7100 || firstCov.perMetric > 7200 {
		t.Errorf("the first poll delivered %d points per metric, want about 7140 (2h less a minute)", firstCov.perMetric)
	}
	if oldest := started.Add(-2*time.Hour - time.Second).UnixMilli(); firstCov.firstMs < oldest {
		t.Errorf("first point %d is older than the 2h retention (%d)", firstCov.firstMs, oldest)
	}
	all := verifyPoints(t, points, testSeed, testAppID)
	t.Logf("in all: %d points per metric in %d requests", all.perMetric, sink.requests())
}

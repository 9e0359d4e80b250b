package zegoreceiver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// checkingConsumer verifies every batch as it arrives, so a simulated day
// needs no memory for half a million points: per metric, each point must
// follow the previous one by exactly one granularity step (no gap, no
// duplicate, ascending) and carry the simulator's value.
type checkingConsumer struct {
	t           *testing.T
	seed        int64
	appID       uint32
	granularity int64 // ms
	mu          sync.Mutex
	last        map[string]int64 // metric → newest timestamp delivered
	first       map[string]int64
	count       map[string]int
	failures    int
}

func (*checkingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *checkingConsumer) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	apiName := map[string]string{}
	for _, d := range metricDefs {
		apiName[d.name] = d.api
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				dps := m.Gauge().DataPoints()
				for l := 0; l < dps.Len(); l++ {
					ts := int64(dps.At(l).Timestamp()) / int64(time.Millisecond)
					if last, ok := c.last[m.Name()]; ok && ts != last+c.granularity {
						c.fail("%s: point at %d follows %d: want %d", m.Name(), ts, last, last+c.granularity)
					}
					if _, ok := c.first[m.Name()]; !ok {
						c.first[m.Name()] = ts
					}
					if want := zegosim.Value(c.seed, c.appID, apiName[m.Name()], ts); dps.At(l).IntValue() != want {
						c.fail("%s at %d: value %d, simulator says %d", m.Name(), ts, dps.At(l).IntValue(), want)
					}
					c.last[m.Name()] = ts
					c.count[m.Name()]++
				}
			}
		}
	}
	return nil
}

func (c *checkingConsumer) fail(format string, args ...any) {
	if c.failures++; c.failures <= 5 {
		c.t.Errorf(format, args...)
	}
}

// A simulated day at the default settings against the simulator, which
// checks signatures and enforces 3 calls a minute and 480 a day: every point
// is delivered exactly once, the quota is never tripped. It runs two hours
// past the day so that the 24 h window slides over the first day's calls.
func TestSimulatedDay(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 24 hours of polling")
	}
	for _, granularity := range []time.Duration{time.Second, time.Minute} {
		t.Run(fmt.Sprintf("one point every %v", granularity), func(t *testing.T) {
			simulateDay(t, granularity)
		})
	}
}

func simulateDay(t *testing.T, granularity time.Duration) {
	const seed, appID, secret = 42, uint32(12345), "9193cc662a4c0ec135ec71fb57194b38"
	clock := &fakeClock{now: t0}
	sim := zegosim.New(zegosim.Config{
		Apps: map[uint32]string{appID: secret}, Seed: seed,
		Delay: 3 * time.Minute, Retention: 2 * time.Hour, Granularity: granularity,
		PerMinute: 3, PerDay: 480, Quirks: true, Now: clock.Now,
	})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	cfg := testConfig()
	cfg.AppID, cfg.ServerSecret = appID, secret
	check := &checkingConsumer{t: t, seed: seed, appID: appID, granularity: granularity.Milliseconds(),
		last: map[string]int64{}, first: map[string]int64{}, count: map[string]int{}}
	h := newHarnessWithConsumer(t, cfg, &switchConsumer{})
	h.r.next = check
	h.r.now = clock.Now
	h.r.api = zegoapi.NewClient(srv.Client(), zegoapi.Config{Endpoint: srv.URL, AppID: appID, ServerSecret: secret}, zegoapi.WithClock(clock.Now))

	// Poll on the receiver's own schedule: initial_delay, then every collection_interval.
	start := t0.Add(cfg.InitialDelay)
	end := t0.Add(26 * time.Hour)
	outcomes := map[pollOutcome]int{}
	var lastPoll time.Time
	for tick := start; !tick.After(end); tick = nextTick(tick, cfg.CollectionInterval, tick) {
		clock.Set(tick)
		outcomes[h.r.poll(context.Background())]++
		lastPoll = tick
	}

	stats := sim.Stats()[appID]
	t.Logf("outcomes %v, simulator stats %+v", outcomes, stats)
	assert.LessOrEqual(t, stats.MaxPerDay, 480, "calls in any 24 h")
	assert.LessOrEqual(t, stats.MaxPerMinute, 3, "calls in any minute")
	assert.Greater(t, stats.Calls, 480, "the day's quota is used, not left idle")
	assert.Zero(t, stats.Codes[30002], "rate-limit answers")
	assert.Equal(t, map[int]int{0: stats.Calls}, stats.Codes, "every call succeeded")

	// Exactly the points of (first window start, last window end], once each.
	firstAfter := start.Add(-cfg.DataDelay - cfg.InitialLookback).UnixMilli()
	lastUntil := lastPoll.Add(-cfg.DataDelay).UnixMilli()
	want := zegosim.PointTimes(firstAfter, lastUntil, granularity, 0)
	require.NotEmpty(t, want)
	for _, d := range metricDefs {
		assert.Equal(t, want[0], check.first[d.name], "%s: first point", d.name)
		assert.Equal(t, want[len(want)-1], check.last[d.name], "%s: last point", d.name)
		assert.Equal(t, len(want), check.count[d.name], "%s: points", d.name)
	}
}

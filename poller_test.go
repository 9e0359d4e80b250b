// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/metadatatest"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.yaml from the current output")

// Recorded answers, ZEGO's contradictions included, through the decoder and the conversion.
func TestConvertGolden(t *testing.T) {
	all := window{afterMs: 0, untilMs: math.MaxInt64}
	tests := []struct {
		answer string // in testdata/answers
		window window
		golden string
	}{
		{"example_zh.json", all, "example_zh.yaml"},
		{"unsorted_repeated.json", all, "unsorted_repeated.yaml"},
		// (…097767, …099767]: the point at the exclusive start and those after the end are dropped.
		{"unsorted_repeated.json", window{afterMs: 1660634097767, untilMs: 1660634099767}, "unsorted_repeated_window.yaml"},
		{"float_values.json", all, "float_values.yaml"},
		{"invalid_values.json", all, "invalid_values.yaml"},
		{"data_array_metrics.json", all, "data_array_metrics.yaml"},
		{"timestamps.json", all, "timestamps.yaml"},
		// ZEGO publishes no example answer for GetRealtimeQuality: this one has usage's shape
		// with fractional values, as the API facts expect.
		{"quality.json", all, "quality.yaml"},
	}
	cfg := testConfig()
	enableQuality(t, cfg)
	r, err := newZegoReceiver(receivertest.NewNopSettings(metadata.Type), cfg, &recorder{}, nil, clientFromConfig)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "answers", tt.answer))
			require.NoError(t, err)
			answer, err := zegoapi.Decode(body)
			require.NoError(t, err)
			p := pollerFor(r, zegoapi.ActionUsage)
			if strings.HasPrefix(tt.answer, "quality") {
				p = pollerFor(r, zegoapi.ActionQuality)
			}
			actual, _, _ := p.collect(p.targets[0], answer, tt.window.contains)
			assertGolden(t, tt.golden, actual)
		})
	}
}

// assertGolden compares actual with testdata/golden/name (rewritten first under -update).
func assertGolden(t *testing.T, name string, actual pmetric.Metrics, opts ...pmetrictest.CompareMetricsOption) {
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		require.NoError(t, golden.WriteMetrics(t, path, actual, golden.SkipMetricTimestampNormalization()))
	}
	expected, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(expected, actual, opts...))
}

// When the cursor moves: an API error or a batch the pipeline may take later keeps it (the
// same window is asked for again); a batch taken, or refused for good, or an empty answer
// moves it past the window. (That each point then arrives once: TestConsumeContract.)
func TestPollMovesTheCursor(t *testing.T) {
	permanent := consumererror.NewPermanent(errors.New("HTTP 400: out of bounds"))
	tests := []struct {
		name     string
		fault    *zegosim.Fault
		refuse   []error // the pipeline's verdicts on successive batches
		sim      func(*zegosim.Config)
		moves    bool // after the first poll
		dropped  int64
		warnings []string
	}{
		{name: "taken", moves: true},
		{name: "API error", fault: &zegosim.Fault{Kind: zegosim.FaultHTML, Count: 1}, warnings: []string{"GetRealtimeUsage failed; the next poll asks again for the whole window"}},
		{name: "refused for now", refuse: []error{errors.New("queue full")}, warnings: []string{"The pipeline did not accept the batch; the same window will be asked for again at the next poll"}},
		// Refused twice for the same cause: dropped both times, warned once.
		{name: "refused for good", refuse: []error{permanent, permanent}, moves: true, dropped: 6 * (180 + 181), warnings: []string{"The pipeline refused the batch for good; it is dropped and polling goes on after it"}},
		{name: "empty answer", sim: func(c *zegosim.Config) { c.Granularity = 24 * time.Hour }, moves: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := newSim(tt.sim)
				if tt.fault != nil {
					sim.InjectFault(*tt.fault)
				}
				var verdicts sync.Mutex
				pipeline := &recorder{refuse: func(pmetric.Metrics) error {
					verdicts.Lock()
					defer verdicts.Unlock()
					if len(tt.refuse) == 0 {
						return nil
					}
					err := tt.refuse[0]
					tt.refuse = tt.refuse[1:]
					return err
				}}
				cfg := testConfig()
				cfg.LateWindow = 0 // each window starts where the cursor is (TestLatePoints asks behind it)
				x := start(t, cfg, sim.Transport(), pipeline, componenttest.NewNopHost())
				time.Sleep(9 * time.Minute) // polls at 1s, 3m2s, 6m3s
				calls := sim.Calls()
				require.Len(t, calls, 3)
				assert.Equal(t, tt.moves, calls[1].StartMs == calls[0].EndMs-1, "the second window starts where the first ended")
				assert.Equal(t, tt.moves, calls[1].StartMs != calls[0].StartMs)
				assert.Equal(t, tt.dropped, x.counter(t, "points_dropped"))
				var warnings []string
				for _, e := range x.logs.FilterLevelExact(zapcore.WarnLevel).All() {
					warnings = append(warnings, e.Message)
				}
				assert.Equal(t, tt.warnings, warnings)
			})
		})
	}
}

// Failures a retry cannot fix back off (one minute, doubling) and name the setting to check;
// the others are retried at every poll. Each cause is logged once, and recovery once, without a
// restart. An outage shorter than ZEGO's two hours loses nothing and doubles nothing.
func TestFailuresAndRecovery(t *testing.T) {
	code := func(c int) *zegosim.Fault { return &zegosim.Fault{Kind: zegosim.FaultCode, Code: c} }
	tests := []struct {
		name    string
		fault   *zegosim.Fault // until cleared; nil: the App ID is unknown to the simulator
		backoff bool
		code    int64
		check   string
	}{
		{"unknown app id", nil, true, 100000010, "app_id"},
		{"wrong secret", code(100000005), true, 100000005, "app_id and server_secret"},
		{"clock skew", code(100000004), true, 100000004, ""},
		{"rate limited", code(30002), true, 30002, "quota"},
		{"no production environment", code(100000016), true, 100000016, "is_test"},
		{"wrong host", code(100000000), true, 100000000, "endpoint"},
		{"bad parameter", code(10001), true, 10001, ""},
		{"server error", code(500), false, 500, ""},
		{"gateway error", code(100000015), false, 100000015, ""},
		{"gateway page", &zegosim.Fault{Kind: zegosim.FaultHTML}, false, 0, ""},
		{"not JSON", &zegosim.Fault{Kind: zegosim.FaultMalformed}, false, 0, ""},
		{"cut off", &zegosim.Fault{Kind: zegosim.FaultTruncated}, false, 0, ""},
		{"empty body", &zegosim.Fault{Kind: zegosim.FaultEmpty}, false, 0, ""},
		{"connection reset", &zegosim.Fault{Kind: zegosim.FaultReset}, false, 0, ""},
		{"timeout", &zegosim.Fault{Kind: zegosim.FaultSlow, Duration: time.Hour}, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sim *zegosim.Server
				cfg := testConfig() // a poll every 15 s, so that backoff shows
				cfg.CollectionInterval, cfg.Timeout, cfg.Quota = 15*time.Second, 2*time.Second, QuotaConfig{PerMinute: 30, PerDay: 50_000}
				if tt.fault == nil {
					sim = newSim(func(c *zegosim.Config) {
						c.Apps = map[uint32]string{testAppID + 1: testSecret}
						c.PerMinute, c.PerDay = 30, -1
					})
				} else {
					sim = newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay = 30, -1 })
					sim.InjectFault(*tt.fault)
				}
				pipeline := &recorder{}
				x := start(t, cfg, sim.Transport(), pipeline, componenttest.NewNopHost())
				time.Sleep(10 * time.Minute)
				failed := len(sim.Calls())
				if tt.backoff {
					assert.LessOrEqual(t, failed, 5, "calls at 1s, then after 1, 2, 4 and 8 minutes at most")
				} else {
					assert.GreaterOrEqual(t, failed, 40, "a call at every poll")
				}
				logged := x.logs.FilterMessageSnippet(" failed").All()
				require.NotEmpty(t, logged)
				first := logged[0].ContextMap()
				assert.Equal(t, tt.code, cmp.Or(first["code"], any(int64(0))), "the log line names the code")
				assert.Equal(t, tt.check, cmp.Or(first["check"], any("")), "and the setting to check")
				assert.Empty(t, logged[0].Stack, "an API failure is no bug: no stack trace")
				if tt.backoff {
					assert.Equal(t, zapcore.ErrorLevel, logged[0].Level)
					assert.Equal(t, "1m0s", first["next_call_in_at_least"])
				}
				assert.Len(t, x.logs.FilterLevelExact(logged[0].Level).All(), 1, "each cause once")

				if tt.fault == nil {
					sim.SetSecret(testAppID, testSecret) // the App ID is created in ZEGO's console
				}
				sim.ClearFaults()
				time.Sleep(10 * time.Minute) // past the last backoff, due by 15m
				assert.Len(t, x.logs.FilterMessage("GetRealtimeUsage calls succeed again").All(), 1)
				assertExactlyOnce(t, sim, cfg, zegoapi.ActionUsage, sim.Calls()[0].StartMs, x.cursor(zegoapi.ActionUsage), pipeline.got)
			})
		})
	}
}

// Past ZEGO's two hours, what aged out is gone: it is counted, said once per outage, and
// polling resumes from the oldest point still kept.
func TestOutageLongerThanRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(nil)
		x := start(t, testConfig(), sim.Transport(), &recorder{}, componenttest.NewNopHost())
		time.Sleep(time.Minute) // one good poll: the cursor is acknowledged
		acked := x.cursor(zegoapi.ActionUsage)
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultHTML})
		time.Sleep(3 * time.Hour)
		sim.ClearFaults()
		time.Sleep(3 * time.Minute)

		lost := x.logs.FilterMessage("Data aged out of ZEGO's retention before it could be fetched; it is lost")
		require.Len(t, lost.FilterLevelExact(zapcore.WarnLevel).All(), 1)
		recovery := sim.Calls()[len(sim.Calls())-1]
		want := (recovery.StartMs - acked) / 1000
		assert.Equal(t, want, x.counter(t, "data_lost"))
		assert.Greater(t, want, int64(time.Hour/time.Second), "more than an hour aged out")
	})
}

// The interfaces run side by side: quality failing and backing off never holds usage back,
// each asks only for its enabled metrics, and telemetry tells them apart. The component status is
// the receiver's, over both: a recoverable error naming quality, reported once, not a status
// that flips at every poll; OK once quality succeeds again.
func TestInterfacesRunOnTheirOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(nil)
		sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultCode, Code: 100000007, Action: string(zegoapi.ActionQuality)})
		cfg := testConfig()
		setEnabled(t, cfg, false, "zego.realtime.mix_concurrent")
		setEnabled(t, cfg, true, "zego.realtime.login_success_rate", "zego.realtime.uplink_rtt")
		host := newStatuses()
		x := start(t, cfg, sim.Transport(), &recorder{}, host)
		time.Sleep(time.Hour)

		usage, quality := callsOf(sim, zegoapi.ActionUsage), callsOf(sim, zegoapi.ActionQuality)
		assert.Len(t, usage, 20, "a usage call every 3 minutes")
		assert.Less(t, len(quality), 10, "quality backs off")
		assert.Equal(t, []string{"publish_concurrent", "play_concurrent", "room_concurrent", "online_user", "max_room_user"}, usage[0].Metrics)
		assert.Equal(t, []string{"uplink_rtt", "login_success_rate"}, quality[0].Metrics, "in ZEGO's order")

		app := attribute.String("zego.app_id", strconv.FormatUint(uint64(testAppID), 10))
		metadatatest.AssertEqualReceiverZegoAPICalls(t, x.tel, []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(app, apiAttr(zegoapi.ActionUsage), outcomeAttr("success")), Value: 20},
			{Attributes: attribute.NewSet(app, apiAttr(zegoapi.ActionQuality), outcomeAttr("permanent")), Value: int64(len(quality))},
		}, metricdatatest.IgnoreTimestamp())
		failed := x.logs.FilterMessageSnippet("GetRealtimeQuality failed").All()
		require.NotEmpty(t, failed)
		assert.Equal(t, "GetRealtimeQuality", failed[0].ContextMap()["api"])
		assert.Equal(t, "metrics", failed[0].ContextMap()["check"])

		sim.ClearFaults()
		time.Sleep(time.Hour) // past quality's backoff
		events := host.all()
		if events[0].Status() == componentstatus.StatusOK {
			events = events[1:] // usage's first success came before quality's first failure
		}
		require.Len(t, events, 2)
		assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
		assert.ErrorContains(t, events[0].Err(), "GetRealtimeQuality failed: code 100000007")
		assert.NotContains(t, events[0].Err().Error(), "GetRealtimeUsage")
		assert.Equal(t, componentstatus.StatusOK, events[1].Status())
	})
}

// Backfills of the receivers of one factory (one collector) hold at most four two-hour answers
// in memory at once; all of them get through. A steady poll holds a slot too when late_window
// makes it ask for more than largeWindow: its answer is as large as a backfill's.
func TestBackfillsShareFewSlots(t *testing.T) {
	for _, tt := range []struct {
		lateWindow     time.Duration
		steadyInFlight int // the most steady polls in flight at once
	}{
		{defaultLateWindow, 6},
		{2*time.Hour - retentionMargin, backfillSlots},
	} {
		t.Run("late_window "+tt.lateWindow.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := zegosim.New(zegosim.Config{AnySecret: testSecret})
				sim.InjectFault(zegosim.Fault{Kind: zegosim.FaultSlow, Duration: 10 * time.Second})
				var mu sync.Mutex
				inFlight, most := 0, 0
				rt := roundTrip(func(r *http.Request) (*http.Response, error) {
					mu.Lock()
					inFlight++
					most = max(most, inFlight)
					mu.Unlock()
					defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
					return sim.Transport().RoundTrip(r)
				})
				factory := newFactory(through(rt))
				pipeline := &recorder{}
				for app := range uint32(6) {
					cfg := testConfig()
					cfg.AppID, cfg.InitialLookback, cfg.LateWindow = 1000+app, 2*time.Hour, tt.lateWindow
					r, err := factory.CreateMetrics(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, pipeline)
					require.NoError(t, err)
					require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
					defer func() { require.NoError(t, r.Shutdown(t.Context())) }()
				}
				time.Sleep(time.Minute)
				assert.Equal(t, backfillSlots, most)
				assert.Len(t, sim.Calls(), 6)
				for app := range uint32(6) {
					assert.Len(t, pipeline.gotFor(1000+app, "zego.realtime.online_user"), 6960, "from 1h59m ago (ZEGO's retention, less a margin) to 3m ago")
				}
				mu.Lock()
				most = 0
				mu.Unlock()
				time.Sleep(10 * time.Minute)
				assert.Len(t, sim.Calls(), 6*4, "three steady polls each")
				assert.Equal(t, tt.steadyInFlight, most)
			})
		})
	}
}

// Points that do not fit their metric are skipped, counted once though later polls read them
// again behind the cursor, and warned about once.
func TestUnusablePointsAreCountedAndWarnedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		answer := `{"Code":0,"Data":{"Metrics":[{"Metric":"online_user","Values":[{"Timestamp":%d,"Value":2.5},{"Timestamp":%d,"Value":"x"},{"Timestamp":%d,"Value":7},{"Value":1}]}]}}`
		ms := time.Now().Add(-4 * time.Minute).UnixMilli()
		rt := roundTrip(func(*http.Request) (*http.Response, error) {
			rec := httptest.NewRecorder()
			_, _ = fmt.Fprintf(rec, answer, ms, ms+1, ms+2)
			return rec.Result(), nil
		})
		pipeline := &recorder{}
		x := start(t, testConfig(), rt, pipeline, componenttest.NewNopHost())
		time.Sleep(10 * time.Minute) // four polls, the last three behind the points
		assert.Equal(t, int64(2+4), x.counter(t, "points_invalid"), "2.5 and x once; the point without a time at every poll")
		assert.Len(t, x.logs.FilterMessage("Skipped points whose timestamp or value was unusable").FilterLevelExact(zapcore.WarnLevel).All(), 1)
		assert.Len(t, pipeline.got("zego.realtime.online_user"), 1)
	})
}

// The schedule is fixed: a poll slower than the interval skips the ticks it overran, and the
// ones after stay where they were.
func TestNextTick(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ now, want time.Duration }{
		{10 * time.Second, 3 * time.Minute},
		{3 * time.Minute, 6 * time.Minute},
		{7*time.Minute + 30*time.Second, 9 * time.Minute},
	} {
		assert.Equal(t, start.Add(tt.want), nextTick(start, 3*time.Minute, start.Add(tt.now)), "at +%v", tt.now)
	}
}

// lateBy is how much later than data_delay the simulator publishes a late point in the tests.
// What a poll passed in the last lateBy may be unpublished still, so the tests check up to there.
const lateBy = 8 * time.Second

// With one point time in twenty published 8 s later than data_delay, every point is delivered
// exactly once, the late ones in batches of their own, also when the receiver restarts while a
// late point that a poll already passed is still unpublished.
func TestLatePoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay, c.LateEvery, c.LateBy = -1, -1, 20, lateBy })
		cfg := testConfig()
		enableQuality(t, cfg)
		cfg.CollectionInterval, cfg.Timeout, cfg.Quota = 2*time.Second, time.Second, QuotaConfig{PerMinute: 40, PerDay: 100_000}
		cfg.StorageID = &storageID
		host := hostWith(map[component.ID]component.Component{storageID: newSharedStorage()})
		pipeline := &recorder{}
		first := start(t, cfg, sim.Transport(), pipeline, host)
		time.Sleep(10*time.Minute + 500*time.Millisecond) // between two polls
		cursor := first.cursor(zegoapi.ActionUsage)
		require.NoError(t, first.r.Shutdown(t.Context()))
		var pending []int64 // passed by the cursor, not yet published
		delivered := pipeline.got("zego.realtime.online_user")
		for _, ms := range sim.PointTimes(zegosim.ActionUsage, cursor-10_000, cursor) {
			if sim.Late(ms) && !slices.ContainsFunc(delivered, func(p point) bool { return p.ms == ms }) {
				pending = append(pending, ms)
			}
		}
		require.NotEmpty(t, pending, "the restart comes between a point's first absence and its late arrival")

		second := start(t, cfg, sim.Transport(), pipeline, host)
		time.Sleep(10 * time.Minute)
		require.NoError(t, second.r.Shutdown(t.Context()))
		for _, api := range []zegoapi.Action{zegoapi.ActionUsage, zegoapi.ActionQuality} {
			until := second.cursor(api) - lateBy.Milliseconds()
			assertExactlyOnce(t, sim, cfg, api, callsOf(sim, api)[0].StartMs, until, settled(until, pipeline.got))
		}
		late := first.counter(t, "points_late", apiAttr(zegoapi.ActionUsage)) + second.counter(t, "points_late", apiAttr(zegoapi.ActionUsage))
		assert.Greater(t, late, int64(6*50), "about one second in twenty of 23 minutes, six metrics each, came late")
		warned := first.logs.FilterMessage("ZEGO published points later than data_delay; they were delivered late, each once").FilterLevelExact(zapcore.WarnLevel).All()
		usageWarned := slices.DeleteFunc(warned, func(e observer.LoggedEntry) bool { return e.ContextMap()["api"] != "GetRealtimeUsage" })
		require.Len(t, usageWarned, 1, "once an episode: usage's late points, seconds apart, are one")
		advice, err := time.ParseDuration(usageWarned[0].ContextMap()["data_delay_that_would_have_caught_them"].(string))
		require.NoError(t, err)
		assert.True(t, advice >= 3*time.Minute+8*time.Second && advice <= 3*time.Minute+10*time.Second, "published 8 s late, found within a 2 s poll: %v", advice)
	})
}

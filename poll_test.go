package zegoreceiver

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadatatest"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// delivered flattens what the pipeline accepted into metric → timestamps (ms) → value,
// failing on any point delivered twice or carrying a start timestamp.
func delivered(t *testing.T, batches []pmetric.Metrics) map[string]map[int64]int64 {
	t.Helper()
	out := map[string]map[int64]int64{}
	for _, md := range batches {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			appID, ok := rm.Resource().Attributes().Get("zego.app_id")
			require.True(t, ok, "zego.app_id resource attribute missing")
			require.Equal(t, "12345", appID.Str())
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				ms := rm.ScopeMetrics().At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					require.Equal(t, pmetric.MetricTypeGauge, m.Type())
					dps := m.Gauge().DataPoints()
					if out[m.Name()] == nil {
						out[m.Name()] = map[int64]int64{}
					}
					prev := int64(-1)
					for l := 0; l < dps.Len(); l++ {
						dp := dps.At(l)
						ts := int64(dp.Timestamp()) / int64(time.Millisecond)
						require.Zero(t, dp.StartTimestamp(), "a ZEGO reading has no start time")
						require.Greater(t, ts, prev, "points must be in ascending time order")
						prev = ts
						_, dup := out[m.Name()][ts]
						require.False(t, dup, "%s at %d delivered twice", m.Name(), ts)
						out[m.Name()][ts] = dp.IntValue()
					}
				}
			}
		}
	}
	return out
}

func series(metric string, points ...zegoapi.Point) zegoapi.Series {
	return zegoapi.Series{Metric: metric, Points: points}
}

func pt(ts time.Time, v int64) zegoapi.Point {
	return zegoapi.Point{TimestampMs: ts.UnixMilli(), Value: v}
}

func answerWith(s ...zegoapi.Series) func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
	return func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		return &zegoapi.Answer{RequestID: "req-1", Series: s}, nil
	}
}

// The cursor policy, in one table: when the cursor moves, to where, and what is delivered.
// With the defaults at t0 the first window is (t0-6m, t0-3m].
func TestPollCursorPolicy(t *testing.T) {
	firstAfter, firstUntil := t0.Add(-6*time.Minute), t0.Add(-3*time.Minute)
	stored := func(cursor time.Time) func(*memStorage) {
		return func(s *memStorage) {
			raw, _ := json.Marshal(checkpoint{Version: checkpointVersion, AppID: 12345, CursorMs: cursor.UnixMilli()})
			s.data[checkpointKey(testID, 12345)] = raw
		}
	}
	tests := []struct {
		name        string
		lookback    time.Duration
		store       func(*memStorage)
		respond     func(context.Context, zegoapi.Query) (*zegoapi.Answer, error)
		consumerErr error

		wantOutcome  pollOutcome
		wantStart    time.Time // StartTs asked for
		wantCursor   time.Time // exclusive cursor after the poll
		wantAcked    bool
		wantPoints   map[string]map[int64]int64
		wantLostSecs int64
	}{
		{
			name: "data moves the cursor to the window end",
			respond: answerWith(
				series("online_user", pt(firstAfter.Add(time.Second), 10), pt(firstUntil, 12)),
				series("publish_concurrent", pt(firstAfter.Add(time.Second), 3)),
			),
			wantOutcome: pollDelivered, wantStart: firstAfter, wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{
				"zego.realtime.online_user":        {ms(firstAfter.Add(time.Second)): 10, ms(firstUntil): 12},
				"zego.realtime.publish_concurrent": {ms(firstAfter.Add(time.Second)): 3},
			},
		},
		{
			name:        "empty success moves the cursor too",
			respond:     answerWith(),
			wantOutcome: pollDelivered, wantStart: firstAfter, wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{},
		},
		{
			name: "API error keeps the cursor",
			respond: func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
				return nil, apiErr(zegoapi.KindTransient, 500)
			},
			wantOutcome: pollAPIError, wantStart: firstAfter, wantCursor: firstAfter, wantAcked: false,
			wantPoints: map[string]map[int64]int64{},
		},
		{
			name:        "consumer error keeps the cursor",
			respond:     answerWith(series("online_user", pt(firstUntil, 12))),
			consumerErr: errPipeline,
			wantOutcome: pollRefused, wantStart: firstAfter, wantCursor: firstAfter, wantAcked: false,
			wantPoints: map[string]map[int64]int64{},
		},
		{
			name:        "restart resumes from the stored cursor",
			store:       stored(t0.Add(-47 * time.Minute)),
			respond:     answerWith(series("online_user", pt(t0.Add(-47*time.Minute).Add(time.Second), 7))),
			wantOutcome: pollDelivered, wantStart: t0.Add(-47 * time.Minute), wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{"zego.realtime.online_user": {ms(t0.Add(-47 * time.Minute).Add(time.Second)): 7}},
		},
		{
			name:        "a cursor older than two hours is clamped and the loss counted",
			store:       stored(t0.Add(-3 * time.Hour)),
			respond:     answerWith(),
			wantOutcome: pollDelivered, wantStart: t0.Add(-2*time.Hour + retentionMargin), wantCursor: firstUntil, wantAcked: true,
			wantPoints:   map[string]map[int64]int64{},
			wantLostSecs: int64((time.Hour + retentionMargin) / time.Second),
		},
		{
			name:        "an initial lookback of two hours is clamped without counting a loss",
			lookback:    2 * time.Hour,
			respond:     answerWith(),
			wantOutcome: pollDelivered, wantStart: t0.Add(-2*time.Hour + retentionMargin), wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{},
		},
		{
			name: "duplicate, out-of-window, unsorted and unasked points",
			respond: answerWith(
				series("online_user",
					pt(firstUntil, 30), // newest first: unsorted
					pt(firstAfter, 1),  // at the exclusive start: already delivered
					pt(firstAfter.Add(1500*time.Millisecond), 20), // not on a second boundary
					pt(firstUntil.Add(time.Millisecond), 99),      // after the window: next poll's
					pt(firstAfter.Add(1500*time.Millisecond), 21), // repeated timestamp: first wins
				),
				series("online_user", pt(firstAfter.Add(2*time.Second), 25)), // the same metric twice
				series("not_a_metric", pt(firstUntil, 5)),
			),
			wantOutcome: pollDelivered, wantStart: firstAfter, wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{"zego.realtime.online_user": {
				ms(firstAfter.Add(1500 * time.Millisecond)): 20,
				ms(firstAfter.Add(2 * time.Second)):         25,
				ms(firstUntil):                              30,
			}},
		},
		{
			name:        "a corrupt checkpoint starts afresh",
			store:       func(s *memStorage) { s.data[checkpointKey(testID, 12345)] = []byte("{not json") },
			respond:     answerWith(),
			wantOutcome: pollDelivered, wantStart: firstAfter, wantCursor: firstUntil, wantAcked: true,
			wantPoints: map[string]map[int64]int64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.StorageID = &storageID
			if tt.lookback != 0 {
				cfg.InitialLookback = tt.lookback
			}
			store := newMemStorage()
			if tt.store != nil {
				tt.store(store)
			}
			h := newHarness(t, cfg)
			h.r.api = h.api
			h.api.respond = tt.respond
			h.sink.setErr(tt.consumerErr)
			require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
			t.Cleanup(func() { require.NoError(t, h.r.Shutdown(context.Background())) })

			assert.Equal(t, tt.wantOutcome, h.poll(t))

			q := h.api.last(t)
			assert.Equal(t, tt.wantStart.UnixMilli(), q.StartMs, "StartTs")
			assert.Equal(t, firstUntil.UnixMilli()+1, q.EndMs, "EndTs")
			assert.Equal(t, []string{"publish_concurrent", "play_concurrent", "room_concurrent", "online_user", "max_room_user", "mix_concurrent"}, q.Metrics)
			assert.Equal(t, tt.wantCursor.UnixMilli(), h.r.state.cursorMs, "cursor")
			assert.Equal(t, tt.wantAcked, h.r.state.acknowledged)
			assert.Equal(t, tt.wantPoints, delivered(t, h.sink.AllMetrics()))

			// The checkpoint holds the cursor only once the pipeline accepted it.
			var cp checkpoint
			require.NoError(t, json.Unmarshal(store.data[checkpointKey(testID, 12345)], &cp))
			if tt.wantAcked {
				assert.Equal(t, tt.wantCursor.UnixMilli(), cp.CursorMs)
			} else {
				assert.Zero(t, cp.CursorMs)
			}
			assert.Len(t, cp.CallsMs, 1, "the call is in the stored quota ledger")

			if tt.wantLostSecs > 0 {
				metadatatest.AssertEqualReceiverZegoDataLost(t, h.tel,
					[]metricdata.DataPoint[int64]{{Value: tt.wantLostSecs}}, metricdatatest.IgnoreTimestamp())
				assert.Equal(t, 1, h.logs.FilterMessageSnippet("lost").Len())
			} else {
				_, err := h.tel.GetMetric("otelcol_receiver_zego_data_lost")
				assert.Error(t, err, "no loss may be counted")
			}
		})
	}
}

// After a refused batch the next poll asks again for the same start, and then
// delivers the old and the new data once.
func TestPollRetriesRefusedWindow(t *testing.T) {
	h := newHarness(t, testConfig())
	h.api.respond = func(_ context.Context, q zegoapi.Query) (*zegoapi.Answer, error) {
		var pts []zegoapi.Point
		for ts := (q.StartMs/1000 + 1) * 1000; ts < q.EndMs; ts += 1000 {
			pts = append(pts, zegoapi.Point{TimestampMs: ts, Value: ts / 1000 % 100})
		}
		return &zegoapi.Answer{Series: []zegoapi.Series{series("online_user", pts...)}}, nil
	}
	h.sink.setErr(errPipeline)
	require.Equal(t, pollRefused, h.poll(t))
	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollRefused, h.poll(t))
	h.sink.setErr(nil)
	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollDelivered, h.poll(t))

	calls := h.api.calls()
	require.Len(t, calls, 3)
	for _, q := range calls {
		assert.Equal(t, t0.Add(-6*time.Minute).UnixMilli(), q.StartMs, "every retry starts at the unacknowledged cursor")
	}
	got := delivered(t, h.sink.AllMetrics())["zego.realtime.online_user"]
	assert.Len(t, got, 9*60, "(t0-6m, t0+3m] at one point a second, each once")
	metadatatest.AssertEqualReceiverZegoPointsEmitted(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 9 * 60}}, metricdatatest.IgnoreTimestamp())
}

func TestPollSkipsEmptyWindow(t *testing.T) {
	cfg := testConfig()
	cfg.InitialLookback = 0
	h := newHarness(t, cfg)
	assert.Equal(t, pollNothingNew, h.poll(t))
	assert.Empty(t, h.api.calls(), "an empty window needs no call")
	h.clock.Advance(time.Second)
	assert.Equal(t, pollDelivered, h.poll(t))
	assert.Equal(t, t0.Add(-3*time.Minute).UnixMilli(), h.api.last(t).StartMs)
}

func TestPollAsksOnlyForEnabledMetrics(t *testing.T) {
	cfg := testConfig()
	cfg.Metrics.ZegoRealtimePublishConcurrent.Enabled = false
	cfg.Metrics.ZegoRealtimeMixConcurrent.Enabled = false
	h := newHarness(t, cfg)
	h.api.respond = answerWith(series("publish_concurrent", pt(t0.Add(-4*time.Minute), 1)), series("online_user", pt(t0.Add(-4*time.Minute), 2)))
	require.Equal(t, pollDelivered, h.poll(t))
	assert.Equal(t, []string{"play_concurrent", "room_concurrent", "online_user", "max_room_user"}, h.api.last(t).Metrics)
	assert.Equal(t, map[string]map[int64]int64{"zego.realtime.online_user": {ms(t0.Add(-4 * time.Minute)): 2}}, delivered(t, h.sink.AllMetrics()))
}

func TestPollCountsInvalidValuesAndCalls(t *testing.T) {
	h := newHarness(t, testConfig())
	h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		return &zegoapi.Answer{InvalidValues: 2, Series: []zegoapi.Series{series("online_user", pt(t0.Add(-4*time.Minute), 2))}}, nil
	}
	require.Equal(t, pollDelivered, h.poll(t))
	h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		return nil, apiErr(zegoapi.KindBadCredentials, 100000005)
	}
	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollAPIError, h.poll(t))

	metadatatest.AssertEqualReceiverZegoPointsInvalid(t, h.tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverZegoAPICalls(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("outcome", "success"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("outcome", "bad_credentials"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverZegoQuotaRemaining(t, h.tel, []metricdata.DataPoint[int64]{{Value: 478}}, metricdatatest.IgnoreTimestamp())
	// The cursor sits at the end of the first window, 3 minutes of data delay plus the 3 minutes since.
	metadatatest.AssertEqualReceiverZegoCursorLag(t, h.tel, []metricdata.DataPoint[float64]{{Value: 360}}, metricdatatest.IgnoreTimestamp())
}

// Invalid values are warned about once; the count goes on in telemetry.
func TestInvalidValuesWarnedOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	h.api.respond = func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		return &zegoapi.Answer{InvalidValues: 1}, nil
	}
	for range 3 {
		require.Equal(t, pollDelivered, h.poll(t))
		h.clock.Advance(3 * time.Minute)
	}
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("not a finite integer").FilterLevelExact(zapcore.WarnLevel).Len())
	metadatatest.AssertEqualReceiverZegoPointsInvalid(t, h.tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
}

// Receivers catching up on long windows share a few process-wide slots, so
// their large answers are not all in memory at once; steady polls never wait.
func TestBackfillsShareFewSlots(t *testing.T) {
	var inside, most atomic.Int32
	entered := make(chan struct{})
	release := make(chan struct{})
	blocking := func(context.Context, zegoapi.Query) (*zegoapi.Answer, error) {
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
		inside.Add(-1)
		return &zegoapi.Answer{}, nil
	}

	const backfills = 6
	outcomes := make(chan pollOutcome, backfills)
	for range backfills {
		cfg := testConfig()
		cfg.InitialLookback = 2 * time.Hour
		h := newHarness(t, cfg)
		h.api.respond = blocking
		go func() { outcomes <- h.poll(t) }()
	}
	for range cap(backfillSlots) {
		<-entered
	}

	// A steady poll goes through while every slot is held.
	steady := newHarness(t, testConfig())
	require.Equal(t, pollDelivered, steady.poll(t))

	for range backfills - cap(backfillSlots) {
		release <- struct{}{} // one backfill finishes, freeing a slot for a waiting one
		<-entered
	}
	for range cap(backfillSlots) {
		release <- struct{}{}
	}
	for range backfills {
		assert.Equal(t, pollDelivered, <-outcomes)
	}
	assert.Equal(t, int32(cap(backfillSlots)), most.Load(), "backfills in flight at once")
}

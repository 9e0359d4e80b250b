package zegoreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

func TestStartDoesNotCallTheAPI(t *testing.T) {
	h := newHarness(t, testConfig())
	require.NoError(t, h.r.Start(context.Background(), componenttest.NewNopHost()))
	assert.Empty(t, h.api.calls(), "Start must not wait on the network")
	require.NoError(t, h.r.Shutdown(context.Background()))
	assert.Empty(t, h.api.calls())
}

// The loop polls when the timer fires and re-arms it for the next tick of a fixed schedule.
func TestLoopPollsOnTicks(t *testing.T) {
	h := newHarness(t, testConfig())
	require.NoError(t, h.r.Start(context.Background(), componenttest.NewNopHost()))
	h.clock.Advance(h.r.cfg.InitialDelay)
	for i := range 3 {
		h.timer.c <- h.clock.Now()
		assert.Equal(t, 3*time.Minute, <-h.timer.resets, "tick %d", i)
		assert.Len(t, h.api.calls(), i+1)
		h.clock.Advance(3 * time.Minute)
	}
	require.NoError(t, h.r.Shutdown(context.Background()))
}

func TestNextTickKeepsTheSchedule(t *testing.T) {
	interval := 3 * time.Minute
	tests := []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"poll took no time", t0, t0, t0.Add(interval)},
		{"slow poll does not shift the schedule", t0, t0.Add(10 * time.Second), t0.Add(interval)},
		{"missed ticks are skipped, not bunched", t0, t0.Add(7 * time.Minute), t0.Add(9 * time.Minute)},
		{"exactly on a tick moves to the next", t0, t0.Add(interval), t0.Add(2 * interval)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, nextTick(tt.last, interval, tt.now))
		})
	}
}

// Shutdown cancels a call in flight, waits for the loop and saves the checkpoint.
func TestShutdownCancelsInFlightCall(t *testing.T) {
	cfg := testConfig()
	cfg.StorageID = &storageID
	store := newMemStorage()
	h := newHarness(t, cfg)
	entered := make(chan struct{})
	h.api.respond = func(ctx context.Context, _ zegoapi.Query) (*zegoapi.Answer, error) {
		close(entered)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	h.timer.c <- h.clock.Now()
	<-entered
	require.NoError(t, h.r.Shutdown(context.Background()))

	var cp checkpoint
	require.NoError(t, json.Unmarshal(store.data[checkpointKey(testID, 12345)], &cp))
	assert.Len(t, cp.CallsMs, 1, "the interrupted call still counts against the quota")
	assert.Zero(t, cp.CursorMs, "nothing was acknowledged")
	assert.Zero(t, h.logs.FilterMessageSnippet("GetRealtimeUsage failed").Len(), "a shutdown is not an API failure")
}

func TestShutdownWithoutStart(t *testing.T) {
	r, err := NewFactory().CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background()))
}

func TestStartFailsLoudlyOnMissingStorage(t *testing.T) {
	tests := []struct {
		name string
		host component.Host
		want string
	}{
		{"not configured", componenttest.NewNopHost(), `extension "file_storage/test" is not configured`},
		{"not a storage extension", hostWithExtensions{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{storageID: notStorage{}}}, "is not a storage extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.StorageID = &storageID
			h := newHarness(t, cfg)
			err := h.r.Start(context.Background(), tt.host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			require.NoError(t, h.r.Shutdown(context.Background()))
		})
	}
}

// Two receivers on one storage extension keep separate checkpoints, and a
// changed app_id never reuses another's cursor.
func TestCheckpointKeysDoNotCollide(t *testing.T) {
	assert.NotEqual(t, checkpointKey(component.MustNewIDWithName("zego", "a"), 1), checkpointKey(component.MustNewIDWithName("zego", "b"), 1))
	assert.NotEqual(t, checkpointKey(testID, 1), checkpointKey(testID, 2))

	store := newMemStorage()
	raw, err := json.Marshal(checkpoint{Version: checkpointVersion, AppID: 1, CursorMs: t0.Add(-time.Hour).UnixMilli()})
	require.NoError(t, err)
	store.data[checkpointKey(testID, 1)] = raw

	cfg := testConfig() // app_id 12345: the stored app_id 1 cursor must not be used
	cfg.StorageID = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	require.Equal(t, pollDelivered, h.poll(t))
	require.NoError(t, h.r.Shutdown(context.Background()))
	assert.Equal(t, t0.Add(-6*time.Minute).UnixMilli(), h.api.last(t).StartMs)
	assert.Equal(t, raw, store.data[checkpointKey(testID, 1)], "another app_id's checkpoint is left alone")
}

func TestStorageFaultsAreNotFatal(t *testing.T) {
	cfg := testConfig()
	cfg.StorageID = &storageID
	store := newMemStorage()
	store.failGet = errors.New("disk on fire")
	store.failSet = errors.New("read-only file system")
	h := newHarness(t, cfg)
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("Ignoring the stored checkpoint").Len())
	require.Equal(t, pollDelivered, h.poll(t))
	h.clock.Advance(3 * time.Minute)
	require.Equal(t, pollDelivered, h.poll(t), "polling goes on from memory")
	assert.Equal(t, t0.Add(-3*time.Minute).UnixMilli(), h.api.last(t).StartMs)
	assert.Positive(t, h.logs.FilterMessageSnippet("Could not save the checkpoint").Len())
	require.NoError(t, h.r.Shutdown(context.Background()))
}

// The secret and signatures are never in what the receiver stores.
func TestCheckpointHoldsNoSecret(t *testing.T) {
	cfg := testConfig()
	cfg.StorageID = &storageID
	store := newMemStorage()
	h := newHarness(t, cfg)
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	require.Equal(t, pollDelivered, h.poll(t))
	require.NoError(t, h.r.Shutdown(context.Background()))
	for _, v := range store.data {
		assert.NotContains(t, string(v), string(cfg.ServerSecret))
	}
}

// notStorage is an extension that is not a storage extension.
type notStorage struct {
	component.StartFunc
	component.ShutdownFunc
}

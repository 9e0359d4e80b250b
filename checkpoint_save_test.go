package zegoreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
)

// A checkpoint that cannot be saved is warned about once, not at every poll;
// repeats go to debug, recovery is said once, and a new failure warns again.
func TestCheckpointSaveFailureWarnsOnce(t *testing.T) {
	cfg := testConfig()
	cfg.StorageID = &storageID
	store := newMemStorage()
	h := newHarness(t, cfg)
	require.NoError(t, h.r.Start(context.Background(), hostWithStorage(store)))
	t.Cleanup(func() { _ = h.r.Shutdown(context.Background()) })
	warnings := func() int {
		return h.logs.FilterMessageSnippet("Could not save the checkpoint").FilterLevelExact(zapcore.WarnLevel).Len()
	}
	setFailing := func(err error) {
		store.mu.Lock()
		store.failSet = err
		store.mu.Unlock()
	}
	pollTimes := func(n int) {
		for range n {
			require.Equal(t, pollDelivered, h.poll(t))
			h.clock.Advance(3 * time.Minute)
		}
	}

	setFailing(errors.New("no space left on device"))
	pollTimes(3)
	assert.Equal(t, 1, warnings(), "one warning for three polls of failing saves")
	assert.Positive(t, h.logs.FilterMessageSnippet("Could not save the checkpoint again").FilterLevelExact(zapcore.DebugLevel).Len())

	setFailing(nil)
	pollTimes(2)
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("The checkpoint is saved again").Len())
	assert.NotEmpty(t, store.data[checkpointKey(testID, cfg.AppID)])

	setFailing(errors.New("no space left on device"))
	pollTimes(1)
	assert.Equal(t, 2, warnings(), "a new failure after a recovery warns again")
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// What a stored value gives back: anything unusable is warned about and ignored, so the
// interface starts afresh instead of failing; a storage failure is returned, never taken for
// "nothing stored".
func TestCheckpointLoad(t *testing.T) {
	tests := []struct {
		name   string
		stored string // "" for nothing stored
		down   bool   // the storage fails
		want   checkpoint
		found  bool
		warn   string
	}{
		{name: "nothing stored"},
		{
			name: "a checkpoint", stored: `{"version":2,"app_id":12345,"cursors":{"GetRealtimeUsage":{"after_ms":1700000000000}},"calls_ms":[1,2]}`,
			want: checkpoint{Version: 2, AppID: 12345, Cursors: map[string]savedCursor{"GetRealtimeUsage": {AfterMs: 1700000000000}}, CallsMs: []int64{1, 2}}, found: true,
		},
		{name: "not JSON", stored: `{"version":`, warn: "unexpected end of JSON input"},
		{name: "another version", stored: `{"version":1,"app_id":12345,"cursor_ms":1700000000000}`, warn: "version 1, this receiver reads 2"},
		{name: "another app", stored: `{"version":2,"app_id":999}`, warn: "it is for app_id 999, not 12345"},
		{name: "negative cursor", stored: `{"version":2,"app_id":12345,"cursors":{"GetRegionQualityDetail/web":{"after_ms":5,"delivered_ms":[3,-1]}}}`, warn: "a negative cursor or time"},
		{name: "storage error", stored: `{"version":2,"app_id":12345,"cursors":{"GetRealtimeUsage":{"after_ms":1700000000000}}}`, down: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newSharedStorage()
			s, logs := newTestCheckpoints(store)
			if tt.stored != "" {
				require.NoError(t, store.Set(t.Context(), s.key, []byte(tt.stored)))
			}
			if tt.down {
				store.blink(time.Hour, &store.failReads)
			}
			cp, found, err := s.load(t.Context())
			if tt.down {
				assert.Equal(t, errStorageDown, err)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.want, cp)
			assert.Equal(t, tt.found, found)
			warnings := logs.FilterLevelExact(zapcore.WarnLevel).All()
			if tt.warn == "" {
				assert.Empty(t, warnings)
				return
			}
			require.Len(t, warnings, 1)
			assert.Equal(t, "Ignoring the stored checkpoint and starting afresh from initial_lookback", warnings[0].Message)
			assert.Contains(t, warnings[0].ContextMap()["error"], tt.warn)
		})
	}
}

// A failing save is warned about once, however often it fails, and its recovery once.
func TestCheckpointSaveFailureWarnedOnce(t *testing.T) {
	store := newSharedStorage()
	s, logs := newTestCheckpoints(store)
	store.blink(time.Hour, &store.failWrites)
	for range 3 {
		s.save(t.Context(), checkpoint{CallsMs: []int64{5}})
	}
	store.blink(0, &store.failWrites)
	s.save(t.Context(), checkpoint{CallsMs: []int64{6}})
	assert.Len(t, logs.FilterLevelExact(zapcore.WarnLevel).All(), 1)
	assert.Len(t, logs.FilterMessage("The checkpoint is saved again").All(), 1)
	cp, found, err := s.load(t.Context())
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, checkpoint{Version: 2, AppID: 12345, CallsMs: []int64{6}}, cp)
}

func newTestCheckpoints(client storage.Client) (*checkpoints, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return newCheckpoints(client, component.MustNewID("zego"), testAppID, zegoapi.ActionUsage, time.Second, zap.New(core)), logs
}

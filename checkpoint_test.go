package zegoreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

const checkpointKey = "zego_checkpoint/zego/app_id=12345/GetRealtimeUsage"

// What a stored value gives back: anything unusable is warned about and ignored, so the
// interface starts afresh instead of failing; a storage failure is returned, never taken for
// "nothing stored".
func TestCheckpointLoad(t *testing.T) {
	tests := []struct {
		name   string
		stored string // "" for nothing stored
		getErr error
		want   checkpoint
		found  bool
		warn   string
	}{
		{name: "nothing stored"},
		{
			name: "a checkpoint", stored: `{"version":1,"app_id":12345,"cursor_ms":1700000000000,"calls_ms":[1,2]}`,
			want: checkpoint{Version: 1, AppID: 12345, CursorMs: 1700000000000, CallsMs: []int64{1, 2}}, found: true,
		},
		{name: "not JSON", stored: `{"version":`, warn: "unexpected end of JSON input"},
		{name: "another version", stored: `{"version":2,"app_id":12345}`, warn: "version 2, this receiver reads 1"},
		{name: "another app", stored: `{"version":1,"app_id":999}`, warn: "it is for app_id 999, not 12345"},
		{name: "negative cursor", stored: `{"version":1,"app_id":12345,"platform_cursors_ms":{"web":-5}}`, warn: "a negative cursor"},
		{name: "storage error", stored: `{"version":1,"app_id":12345,"cursor_ms":1700000000000}`, getErr: errors.New("disk on fire")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &faultyClient{Client: storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("zego"), ""), getErr: tt.getErr}
			if tt.stored != "" {
				require.NoError(t, client.Set(t.Context(), checkpointKey, []byte(tt.stored)))
			}
			s, logs := newTestCheckpoints(client)
			cp, found, err := s.load(t.Context())
			assert.Equal(t, tt.getErr, err)
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
	client := &faultyClient{Client: storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("zego"), ""), setErr: errors.New("no space left on device")}
	s, logs := newTestCheckpoints(client)
	for range 3 {
		s.save(t.Context(), checkpoint{CursorMs: 5})
	}
	client.setErr = nil
	s.save(t.Context(), checkpoint{CursorMs: 6})
	assert.Len(t, logs.FilterLevelExact(zapcore.WarnLevel).All(), 1)
	assert.Len(t, logs.FilterMessage("The checkpoint is saved again").All(), 1)
	cp, found, err := s.load(t.Context())
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, checkpoint{Version: 1, AppID: 12345, CursorMs: 6}, cp)
}

func newTestCheckpoints(client storage.Client) (*checkpoints, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return newCheckpoints(client, component.MustNewID("zego"), testAppID, zegoapi.ActionUsage, time.Second, zap.New(core)), logs
}

type faultyClient struct {
	storage.Client
	getErr, setErr error
}

func (c *faultyClient) Get(ctx context.Context, key string) ([]byte, error) {
	if c.getErr != nil {
		return nil, c.getErr
	}
	return c.Client.Get(ctx, key)
}

func (c *faultyClient) Set(ctx context.Context, key string, value []byte) error {
	if c.setErr != nil {
		return c.setErr
	}
	return c.Client.Set(ctx, key, value)
}

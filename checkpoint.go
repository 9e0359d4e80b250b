package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

const checkpointVersion = 1

// checkpoint is what survives a restart when a storage extension is configured:
// the exclusive cursor (the end of the newest window the pipeline accepted) and
// the send times of recent calls, so the quota holds across restarts too.
// It holds no secret and no signature.
type checkpoint struct {
	Version  int     `json:"version"`
	AppID    uint32  `json:"app_id"`
	CursorMs int64   `json:"cursor_ms,omitempty"` // 0: no acknowledged data yet
	CallsMs  []int64 `json:"calls_ms,omitempty"`
}

// checkpointKey names the receiver instance and the App ID, so two receivers
// on one storage extension never collide and a changed app_id starts afresh.
func checkpointKey(id component.ID, appID uint32) string {
	return fmt.Sprintf("zego_checkpoint/%s/app_id=%d", id, appID)
}

type checkpointStore struct {
	client storage.Client
	key    string
	appID  uint32
}

// load returns the stored checkpoint; found is false when there is none.
// A checkpoint that cannot be read or decoded is an error for the caller to
// log: the receiver then starts afresh rather than failing.
func (s *checkpointStore) load(ctx context.Context) (cp checkpoint, found bool, err error) {
	raw, err := s.client.Get(ctx, s.key)
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("reading checkpoint %q: %w", s.key, err)
	}
	if raw == nil {
		return checkpoint{}, false, nil
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return checkpoint{}, false, fmt.Errorf("decoding checkpoint %q: %w", s.key, err)
	}
	switch {
	case cp.Version != checkpointVersion:
		return checkpoint{}, false, fmt.Errorf("checkpoint %q has version %d, this receiver reads %d", s.key, cp.Version, checkpointVersion)
	case cp.AppID != s.appID:
		return checkpoint{}, false, fmt.Errorf("checkpoint %q is for app_id %d, not %d", s.key, cp.AppID, s.appID)
	case cp.CursorMs < 0:
		return checkpoint{}, false, fmt.Errorf("checkpoint %q has a negative cursor %d", s.key, cp.CursorMs)
	}
	return cp, true, nil
}

func (s *checkpointStore) save(ctx context.Context, cp checkpoint) error {
	cp.Version = checkpointVersion
	cp.AppID = s.appID
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if err := s.client.Set(ctx, s.key, raw); err != nil {
		return fmt.Errorf("saving checkpoint %q: %w", s.key, err)
	}
	return nil
}

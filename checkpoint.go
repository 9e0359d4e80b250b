// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// checkpointVersion 2 keeps a cursor per request; checkpoints of version 1 (before 0.1.0) are
// ignored.
const checkpointVersion = 2

// checkpoint is what survives a restart, or passes to the next leader through a shared
// storage extension: the cursors with what they delivered within late_window, and the send
// times of recent calls, so the quota holds across restarts and handoffs too. It holds no
// secret and no signature.
type checkpoint struct {
	Version int    `json:"version"`
	AppID   uint32 `json:"app_id"`
	// Cursors are the acknowledged cursors, by request name (absent: nothing acknowledged yet).
	Cursors map[string]savedCursor `json:"cursors,omitempty"`
	CallsMs []int64                `json:"calls_ms,omitempty"`
}

// checkpoints loads and saves one interface's checkpoint. Its key names the receiver, the App
// ID and the interface: receivers sharing a storage never collide, and a changed app_id starts
// afresh. Every storage call is bounded by timeout.
type checkpoints struct {
	client  storage.Client
	key     string
	appID   uint32
	timeout time.Duration
	logger  *zap.Logger
	// failing is set while saves fail, so the failure is warned about once, not every poll.
	failing bool
}

func newCheckpoints(client storage.Client, id component.ID, appID uint32, action zegoapi.Action, timeout time.Duration, logger *zap.Logger) *checkpoints {
	return &checkpoints{
		client:  client,
		key:     checkpointKey(id, appID, action),
		appID:   appID,
		timeout: timeout,
		logger:  logger,
	}
}

func checkpointKey(id component.ID, appID uint32, action zegoapi.Action) string {
	return fmt.Sprintf("zego_checkpoint/%s/app_id=%d/%s", id, appID, action)
}

// load has three outcomes: the stored checkpoint (found); none, because nothing is stored or
// what is stored cannot be used, which is logged (the interface then starts afresh); or err,
// when the storage failed, and nothing is known about what it holds.
func (s *checkpoints) load(ctx context.Context) (cp checkpoint, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	raw, err := s.client.Get(ctx, s.key)
	if err != nil || raw == nil {
		return checkpoint{}, false, err
	}
	err = json.Unmarshal(raw, &cp)
	switch {
	case err != nil:
	case cp.Version != checkpointVersion:
		err = fmt.Errorf("version %d, this receiver reads %d", cp.Version, checkpointVersion)
	case cp.AppID != s.appID:
		err = fmt.Errorf("it is for app_id %d, not %d", cp.AppID, s.appID)
	case slices.ContainsFunc(slices.Collect(maps.Values(cp.Cursors)), func(c savedCursor) bool {
		return c.AfterMs < 0 || c.KnownFromMs < 0 || slices.ContainsFunc(c.DeliveredMs, func(ms int64) bool { return ms <= 0 })
	}):
		err = errors.New("a negative cursor or time")
	default:
		return cp, true, nil
	}
	s.logger.Warn("Ignoring the stored checkpoint and starting afresh from initial_lookback",
		zap.String("key", s.key), zap.Error(err))
	return checkpoint{}, false, nil
}

// save stores cp. A failure is logged, not fatal: polling goes on from memory. A save that the
// end of ctx interrupts is not a failure: the term's final save follows.
func (s *checkpoints) save(ctx context.Context, cp checkpoint) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cp.Version, cp.AppID = checkpointVersion, s.appID
	raw, err := json.Marshal(cp)
	if err == nil {
		err = s.client.Set(ctx, s.key, raw)
	}
	switch {
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
	case err != nil && !s.failing:
		s.failing = true
		s.logger.Warn("Could not save the checkpoint; after a restart some data may be fetched again and the quota ledger may be incomplete",
			zap.String("key", s.key), zap.Error(err))
	case err != nil:
		s.logger.Debug("Could not save the checkpoint again", zap.Error(err))
	case s.failing:
		s.failing = false
		s.logger.Info("The checkpoint is saved again", zap.String("key", s.key))
	}
}

// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

// How long calls wait after each of several failures in a row, per error class.
func TestBackoff(t *testing.T) {
	doubling := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	tests := []struct {
		kinds []zegoapi.ErrorKind
		waits []time.Duration
	}{
		{[]zegoapi.ErrorKind{zegoapi.KindTransient, zegoapi.KindTransient}, []time.Duration{0, 0}},
		{slices.Repeat([]zegoapi.ErrorKind{zegoapi.KindRateLimited}, 7), doubling},
		{slices.Repeat([]zegoapi.ErrorKind{zegoapi.KindBadCredentials}, 7), doubling},
		{slices.Repeat([]zegoapi.ErrorKind{zegoapi.KindPermanent}, 3), doubling[:3]},
		{slices.Repeat([]zegoapi.ErrorKind{zegoapi.KindClockSkew}, 2), doubling[:2]},
		// Another class starts again from a minute.
		{[]zegoapi.ErrorKind{zegoapi.KindBadCredentials, zegoapi.KindBadCredentials, zegoapi.KindRateLimited}, []time.Duration{time.Minute, 2 * time.Minute, time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.kinds[len(tt.kinds)-1].String(), func(t *testing.T) {
			var b backoff
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			for i, kind := range tt.kinds {
				assert.True(t, b.allows(now))
				wait := b.failure(kind, now)
				assert.Equal(t, tt.waits[i], wait, "failure %d", i+1)
				if wait > 0 {
					assert.False(t, b.allows(now.Add(wait-time.Millisecond)))
				}
				now = now.Add(wait)
			}
		})
	}
}

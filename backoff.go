// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"time"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
)

const (
	firstBackoff = time.Minute
	maxBackoff   = 30 * time.Minute
)

// backoff decides, per error class, how long the receiver stays silent after
// a failed call. Transient failures wait only for the next tick: the quota
// ledger already bounds how often that can be. Every other class waits at
// least a minute, doubling on repeats up to 30 minutes, because calling again
// cannot succeed before something changes (the quota window, the config, the
// clock). A success resets it to its zero value.
type backoff struct {
	until    time.Time
	delay    time.Duration
	lastKind zegoapi.ErrorKind
}

func (b *backoff) allows(now time.Time) bool { return !now.Before(b.until) }

// failure records a failed call at now and returns how long calls now wait (0 for none).
func (b *backoff) failure(kind zegoapi.ErrorKind, now time.Time) time.Duration {
	if kind == zegoapi.KindTransient {
		return 0
	}
	switch {
	case b.delay == 0 || kind != b.lastKind:
		b.delay = firstBackoff
	default:
		b.delay = min(2*b.delay, maxBackoff)
	}
	b.lastKind = kind
	b.until = now.Add(b.delay)
	return b.delay
}

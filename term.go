// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver // import "github.com/zego-otel/zegoreceiver"

import (
	"context"
	"sync"

	"go.uber.org/zap"
)

// leaderElector is what the receiver needs of contrib's k8s_leader_elector extension, declared
// here so that the receiver does not depend on that module. The extension calls
// onStartedLeading each time this replica wins the lease, and onStoppedLeading when it loses it.
type leaderElector interface {
	SetCallBackFuncs(onStartedLeading func(context.Context), onStoppedLeading func())
}

// term is one stretch of polling. It ends when its context does, or when it is ended; it then
// makes its last saves, within one timeout however the storage behaves.
type term struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed once its loops have stopped and its last saves are made or abandoned
}

// wait returns once t, if any, is done.
func (t *term) wait() {
	if t != nil {
		<-t.done
	}
}

func (t *term) live() bool { return t != nil && t.ctx.Err() == nil }

// startedLeading begins a term from the checkpoint, which a storage shared between the
// replicas carries from the previous leader: its cursor and the calls it spent. client-go calls
// it on a goroutine of its own, so it can arrive after the term's stop, its context already
// canceled: such a term is over before it began, and is ignored.
func (r *zegoReceiver) startedLeading(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutdown || ctx.Err() != nil {
		r.logger.Debug("A leadership term that was already over is ignored")
		return
	}
	r.endLocked() // an elector calls stop between two terms; should it not, the newer term wins
	r.beginLocked(ctx, "Elected leader: polling starts")
	r.health.leading(true)
}

// stoppedLeading ends the term that runs (a call in flight is canceled; it stays in the
// ledger) and stands by. It does not wait for the term's last saves: the elector calls the stop
// callbacks of all its receivers in turn before it runs again, so waiting here for a hung
// storage would hold the elector for one timeout per receiver. The saves go on without it and
// are made or abandoned within one timeout of the loss; the next term waits for them.
func (r *zegoReceiver) stoppedLeading() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.term.Load() == nil {
		return
	}
	r.endLocked()
	r.logger.Info("Lost leadership: polling stopped, the checkpoint is being saved; standing by")
	r.health.leading(false)
}

// beginLocked starts a term under parent: it reads each interface's checkpoint, says where
// polling resumes, and runs the loops. Call with r.mu held.
func (r *zegoReceiver) beginLocked(parent context.Context, announce string) {
	ctx, cancel := context.WithCancel(parent)
	t := &term{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.term.Store(t)
	previous := r.ended
	go func() {
		defer close(t.done)
		// Not before the previous term's last saves are made or abandoned, or the two could
		// overwrite each other's checkpoint.
		previous.wait()
		var from []string
		for _, p := range r.pollers {
			where, ok := p.restore(ctx)
			if !ok {
				return // over before every checkpoint could be read: nothing to save
			}
			from = append(from, where...)
		}
		r.logger.Info(announce, zap.Strings("from", from))
		var loops sync.WaitGroup
		for _, p := range r.pollers {
			loops.Go(func() { p.run(ctx) })
		}
		loops.Wait()
		// The last saves, made as the term ends, share one timeout: a hung storage delays the
		// end of leadership or Shutdown by that much at most.
		final, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		defer cancel()
		for _, p := range r.pollers {
			p.save(final)
		}
	}()
}

// endLocked ends the latest term without waiting for its last saves. Call with r.mu held.
func (r *zegoReceiver) endLocked() {
	if t := r.term.Swap(nil); t != nil {
		t.cancel()
		r.ended = t
	}
}

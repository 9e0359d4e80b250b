// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// elector behaves as contrib's k8s_leader_elector does when client-go's LeaderElector drives
// it: the callbacks of every receiver registered run in turn under the extension's lock; a term's
// onStartedLeading runs on a goroutine of its own, and onStoppedLeading runs from the elector's
// goroutine once the term's context is canceled (client-go defers it), so a term lost at once can
// deliver its stop before its start; a receiver that registers while the elector leads is started
// from inside SetCallBackFuncs, with a context that is never canceled.
type elector struct {
	component.StartFunc
	component.ShutdownFunc
	mu      sync.Mutex
	starts  []func(context.Context)
	stops   []func()
	leading bool
}

func (e *elector) SetCallBackFuncs(started func(context.Context), stopped func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.starts, e.stops = append(e.starts, started), append(e.stops, stopped)
	if e.leading {
		started(context.Background())
	}
}

func (e *elector) startedLeading(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leading = true
	for _, f := range e.starts {
		f(ctx)
	}
}

func (e *elector) stoppedLeading() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leading = false
	for _, f := range e.stops {
		f()
	}
}

// term holds the lease for d, as client-go's Run does once it has acquired it.
func (e *elector) term(d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	go e.startedLeading(ctx)
	time.Sleep(d)
	cancel()
	e.stoppedLeading()
}

// flap is a term lost at once: the stop callback runs first, then the start callback's
// goroutine, with a context already canceled.
func (e *elector) flap() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.stoppedLeading()
	e.startedLeading(ctx)
}

// sharedStorage is a storage extension whose clients share one store, as replicas share a
// Redis: closing a client leaves the store to the others. Like a Redis, it can fail or hang for
// a while: a failing call errs at once, a hanging one returns only when its context ends.
type sharedStorage struct {
	component.StartFunc
	component.ShutdownFunc
	*storagetest.TestClient                            // the store
	openErr                                      error // what GetClient returns
	mu                                           sync.Mutex
	failReads, failWrites, hangReads, hangWrites time.Time // until when
}

func newSharedStorage() *sharedStorage {
	return &sharedStorage{TestClient: storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("zego"), "")}
}

func (s *sharedStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return keepOpen{s}, s.openErr
}

type keepOpen struct{ storage.Client }

func (keepOpen) Close(context.Context) error { return nil }

var errStorageDown = errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")

func (s *sharedStorage) fault(ctx context.Context, fail, hang *time.Time) error {
	s.mu.Lock()
	failing, hanging := time.Now().Before(*fail), time.Now().Before(*hang)
	s.mu.Unlock()
	switch {
	case hanging:
		<-ctx.Done()
		return ctx.Err()
	case failing:
		return errStorageDown
	}
	return nil
}

func (s *sharedStorage) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.fault(ctx, &s.failReads, &s.hangReads); err != nil {
		return nil, err
	}
	return s.TestClient.Get(ctx, key)
}

func (s *sharedStorage) Set(ctx context.Context, key string, value []byte) error {
	if err := s.fault(ctx, &s.failWrites, &s.hangWrites); err != nil {
		return err
	}
	return s.TestClient.Set(ctx, key, value)
}

// blink makes what each of until stands for (failing reads, hanging writes, ...) last d from now.
func (s *sharedStorage) blink(d time.Duration, until ...*time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range until {
		*u = time.Now().Add(d)
	}
}

func hostWith(exts map[component.ID]component.Component) component.Host {
	h := storagetest.NewStorageHost()
	for id, ext := range exts {
		h = h.WithExtension(id, ext)
	}
	return h
}

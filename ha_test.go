// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// replica is one pod of a highly available deployment: a receiver per App ID, its own
// elector, and the calls it made.
type replica struct {
	elector *elector
	runs    []*run
	calls   []time.Time
	leads   [][2]time.Time // from the start callback to the stop callback's return
}

// Replicas of one App ID (two receivers on one elector for the row that asks) share a storage
// and a pipeline. Each row drives the electors and the storage as a real cluster can, and the
// same things must hold for all: every point exactly once across the handoffs, no call from a
// replica that does not lead, the quota held with no call refused, and, as synctest checks at
// the end of each bubble, no goroutine left behind.
func TestLeaderElection(t *testing.T) {
	tests := []struct {
		name  string
		apps  int // receivers per replica, on one elector
		drive func(t *testing.T, h *haRig)
	}{
		{name: "A, B, A in client-go's order", apps: 1, drive: func(t *testing.T, h *haRig) {
			h.lead("A")
			h.lead("B")
			h.lead("A")
			assert.Len(t, h.logs("A", "Elected leader: polling starts"), 2)
			assert.Len(t, h.logs("B", "Lost leadership: polling stopped, the checkpoint is being saved; standing by"), 1)
		}},
		{name: "five terms lost at once, then a real one", apps: 1, drive: func(t *testing.T, h *haRig) {
			h.lead("A")
			for range 5 {
				h.flap("B")
			}
			assert.Zero(t, h.leader("B"), "a term lost at once leaves the replica standing by")
			time.Sleep(time.Minute + h.cfg.Timeout) // A's last call is out of the quota's window
			h.lead("B")
			require.NotEmpty(t, h.replicas["B"].calls)
			first, from := h.replicas["B"].calls[0], h.replicas["B"].leads[0][0]
			assert.Equal(t, h.cfg.InitialDelay, first.Sub(from), "the next real term polls after initial_delay")
		}},
		{name: "registered while the elector leads", apps: 1, drive: func(t *testing.T, h *haRig) {
			h.lead("A")
			// C's elector already leads when C's receiver registers: k8s_leader_elector then
			// calls back from inside SetCallBackFuncs, with a context that is never canceled.
			c := &replica{elector: &elector{leading: true}}
			h.replicas["C"] = c
			from := time.Now()
			h.startReplica(t, "C")
			time.Sleep(termLength)
			c.elector.stoppedLeading()
			c.leads = append(c.leads, [2]time.Time{from, time.Now()})
			assert.NotEmpty(t, c.calls, "C polled")
		}},
		{name: "two receivers on one elector", apps: 2, drive: func(_ *testing.T, h *haRig) {
			h.lead("A")
			h.lead("B")
		}},
		{name: "reads fail for 3s as a term starts", apps: 1, drive: func(t *testing.T, h *haRig) {
			h.lead("A")
			h.store.blink(3*time.Second, &h.store.failReads)
			h.lead("B")
			assert.Len(t, h.logs("B", "Could not read the checkpoint; no call and no save until it can be read"), 1)
			h.lead("A")
		}},
		{name: "writes fail for 5 minutes within a term", apps: 1, drive: func(_ *testing.T, h *haRig) {
			go func() {
				time.Sleep(2 * time.Minute)
				h.store.blink(5*time.Minute, &h.store.failWrites)
			}()
			h.lead("A")
			h.lead("B")
		}},
		{name: "the storage hangs across a handoff", apps: 1, drive: func(t *testing.T, h *haRig) {
			go func() {
				time.Sleep(termLength - 15*time.Second) // after A's last poll
				h.store.blink(time.Minute, &h.store.hangReads, &h.store.hangWrites)
			}()
			h.lead("A") // how long the loss takes: TestHandoffWithinOneTimeout
			h.lead("B")
			b := h.replicas["B"]
			from := time.Now()
			go b.elector.startedLeading(context.Background())
			time.Sleep(termLength)
			h.store.blink(time.Minute, &h.store.hangReads, &h.store.hangWrites)
			began := time.Now()
			require.NoError(t, b.runs[0].r.Shutdown(t.Context()))
			assert.LessOrEqual(t, time.Since(began), h.cfg.Timeout, "shutdown waits one timeout at most")
			b.leads = append(b.leads, [2]time.Time{from, time.Now()})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHARig(t, tt.apps)
				time.Sleep(5 * time.Minute) // no one polls before being elected
				tt.drive(t, h)
				h.check(t)
			})
		})
	}
}

type haRig struct {
	t        *testing.T
	sim      *zegosim.Server
	store    *sharedStorage
	pipeline *recorder
	cfg      *Config
	apps     int
	mu       sync.Mutex
	replicas map[string]*replica
}

func newHARig(t *testing.T, apps int) *haRig {
	h := &haRig{
		t:        t,
		sim:      newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay, c.AnySecret = 1, -1, testSecret }),
		store:    newSharedStorage(),
		pipeline: &recorder{},
		cfg:      testConfig(),
		apps:     apps,
		replicas: map[string]*replica{"A": {elector: &elector{}}, "B": {elector: &elector{}}},
	}
	enableQuality(t, h.cfg)
	h.cfg.CollectionInterval, h.cfg.Timeout = 2*time.Minute, 10*time.Second
	h.cfg.Quota = QuotaConfig{PerMinute: 1, PerDay: 100_000}
	h.cfg.StorageID, h.cfg.LeaderElector = &storageID, &electorID
	h.startReplica(t, "A")
	h.startReplica(t, "B")
	return h
}

func (h *haRig) startReplica(t *testing.T, name string) {
	rep := h.replicas[name]
	if len(rep.runs) > 0 {
		return
	}
	rt := roundTrip(func(r *http.Request) (*http.Response, error) {
		h.mu.Lock()
		rep.calls = append(rep.calls, time.Now())
		h.mu.Unlock()
		return h.sim.Transport().RoundTrip(r)
	})
	for app := range uint32(h.apps) {
		cfg := *h.cfg
		cfg.AppID = testAppID + app
		host := hostWith(map[component.ID]component.Component{storageID: h.store, electorID: rep.elector})
		rep.runs = append(rep.runs, start(t, &cfg, rt, h.pipeline, host))
	}
}

// termLength is how long each replica leads: five polls at the rig's two-minute interval.
const termLength = 10*time.Minute + 30*time.Second

// lead gives name a term.
func (h *haRig) lead(name string) {
	rep := h.replicas[name]
	from := time.Now()
	rep.elector.term(termLength)
	rep.leads = append(rep.leads, [2]time.Time{from, time.Now()})
}

func (h *haRig) flap(name string) {
	h.replicas[name].elector.flap()
	synctest.Wait()
}

func (h *haRig) leader(name string) int64 { return h.replicas[name].runs[0].leader(h.t) }

func (h *haRig) logs(name, msg string) []any {
	var out []any
	for _, e := range h.replicas[name].runs[0].logs.FilterMessage(msg).All() {
		if e.Level > zapcore.DebugLevel {
			out = append(out, e)
		}
	}
	return out
}

func (h *haRig) check(t *testing.T) {
	t.Helper()
	for name, rep := range h.replicas {
		for _, at := range rep.calls {
			assert.True(t, slices.ContainsFunc(rep.leads, func(l [2]time.Time) bool { return !at.Before(l[0]) && !at.After(l[1]) }),
				"replica %s called at %v while standing by", name, at)
		}
		for _, x := range rep.runs {
			if !x.r.shutdown { // a replica shut down reports nothing
				assert.Zero(t, x.leader(t), "replica %s stands by at the end", name)
			}
		}
	}
	for app := range uint32(h.apps) {
		cfg := *h.cfg
		cfg.AppID = testAppID + app
		for _, api := range []zegoapi.Action{zegoapi.ActionUsage, zegoapi.ActionQuality} {
			calls := slices.DeleteFunc(callsOf(h.sim, api), func(c zegosim.Call) bool { return c.AppID != cfg.AppID })
			require.NotEmpty(t, calls)
			assert.LessOrEqual(t, maxInWindow(calls, time.Minute), 1, "%s: the quota held across the handoffs", api)
			for _, c := range calls {
				assert.Equal(t, zegosim.CodeSuccess, c.Code, "%s: no call refused", api)
			}
			var cp checkpoint
			raw, err := h.store.TestClient.Get(t.Context(), checkpointKey(component.NewID(metadata.Type), cfg.AppID, api))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &cp))
			assertExactlyOnce(t, h.sim, &cfg, api, calls[0].StartMs, cp.Cursors[string(api)].AfterMs, func(metric string) []point {
				return h.pipeline.gotFor(cfg.AppID, metric)
			})
		}
	}
}

// BenchmarkFailover measures a replica's failover, from the start callback to its first call,
// with initial_delay 0 and a checkpoint to read from an in-memory storage: what remains is the
// receiver's own work (make bench-failover; docs/high-availability.md).
func BenchmarkFailover(b *testing.B) {
	sim := newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay = -1, -1 })
	store, called := newSharedStorage(), make(chan struct{}, 1)
	cfg := testConfig()
	cfg.InitialDelay, cfg.StorageID, cfg.LeaderElector = 0, &storageID, &electorID
	cfg.Quota = QuotaConfig{PerMinute: 1 << 30, PerDay: 1 << 30}
	rt := roundTrip(func(r *http.Request) (*http.Response, error) {
		select {
		case called <- struct{}{}:
		default:
		}
		return sim.Transport().RoundTrip(r)
	})
	e := &elector{}
	host := hostWith(map[component.ID]component.Component{storageID: store, electorID: e})
	start(b, cfg, rt, &recorder{}, host)
	checkpoints := newCheckpoints(store.TestClient, component.NewID(metadata.Type), cfg.AppID, zegoapi.ActionUsage, cfg.Timeout, zap.NewNop())
	for b.Loop() {
		b.StopTimer()
		checkpoints.save(b.Context(), checkpoint{Cursors: map[string]savedCursor{string(zegoapi.ActionUsage): {AfterMs: time.Now().Add(-10 * time.Minute).UnixMilli()}}})
		b.StartTimer()
		e.startedLeading(b.Context())
		<-called
		b.StopTimer()
		e.stoppedLeading()
		b.StartTimer()
	}
}

// TestHandoffWithinOneTimeout: with many receivers on one elector, whose stop callbacks run in
// turn, and a storage that hangs, losing the lease ends every receiver's term, its last save
// made or abandoned, within one timeout of the loss, whatever the number of receivers. Both ways
// a term can be stopped are rows: its context canceled before the stops (client-go's order),
// and the stop alone (a receiver registered while the elector led).
func TestHandoffWithinOneTimeout(t *testing.T) {
	const receivers = 50
	for _, registeredWhileLeading := range []bool{false, true} {
		t.Run(fmt.Sprintf("registered while leading %v", registeredWhileLeading), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay = -1, -1 })
				store, e := newSharedStorage(), &elector{leading: registeredWhileLeading}
				host := hostWith(map[component.ID]component.Component{storageID: store, electorID: e})
				cfg := testConfig()
				cfg.StorageID, cfg.LeaderElector, cfg.Timeout = &storageID, &electorID, 10*time.Second
				var runs []*run
				for app := range uint32(receivers) {
					c := *cfg
					c.AppID = testAppID + app
					runs = append(runs, start(t, &c, sim.Transport(), &recorder{}, host))
				}
				ctx, lose := context.WithCancel(t.Context())
				if !registeredWhileLeading {
					go e.startedLeading(ctx)
				}
				time.Sleep(5 * time.Minute)
				require.NotEmpty(t, sim.Calls(), "the receivers poll while leading")
				store.blink(time.Hour, &store.hangReads, &store.hangWrites)

				lost := time.Now()
				lose()
				e.stoppedLeading()
				assert.LessOrEqual(t, time.Since(lost), cfg.Timeout, "the stop callbacks of %d receivers return within one timeout", receivers)
				for _, x := range runs {
					x.r.waitTermsEnded()
				}
				assert.LessOrEqual(t, time.Since(lost), cfg.Timeout, "every term of %d receivers ended within one timeout", receivers)
				for _, x := range runs {
					assert.Zero(t, x.leader(t))
				}
			})
		})
	}
}

// waitTermsEnded returns once the terms ended have made or abandoned their last saves.
func (r *zegoReceiver) waitTermsEnded() {
	r.mu.Lock()
	t := r.ended
	r.mu.Unlock()
	t.wait()
}

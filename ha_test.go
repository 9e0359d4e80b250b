package zegoreceiver

import (
	"context"
	"encoding/json"
	"errors"
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
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/zego-otel/zegoreceiver/internal/metadata"
	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
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

// term holds the lease for d, as client-go's Run does once it has acquired it, and returns how
// long the stop callbacks took.
func (e *elector) term(d time.Duration) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	go e.startedLeading(ctx)
	time.Sleep(d)
	cancel()
	began := time.Now()
	e.stoppedLeading()
	return time.Since(began)
}

// flap is a term lost at once: the stop callback runs first, then the start callback's
// goroutine, with a context already canceled.
func (e *elector) flap() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.stoppedLeading()
	e.startedLeading(ctx)
}

// blinkingStorage is a storage shared by the replicas, as a Redis is, that can fail or hang
// for a while: a failing call errs at once, a hanging one returns only when its context ends.
type blinkingStorage struct {
	component.StartFunc
	component.ShutdownFunc
	storage.Client
	mu                    sync.Mutex
	failReads, failWrites time.Time // until when
	hangReads, hangWrites time.Time
}

var errStorageDown = errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")

func (s *blinkingStorage) fault(ctx context.Context, fail, hang *time.Time) error {
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

func (s *blinkingStorage) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.fault(ctx, &s.failReads, &s.hangReads); err != nil {
		return nil, err
	}
	return s.Client.Get(ctx, key)
}

func (s *blinkingStorage) Set(ctx context.Context, key string, value []byte) error {
	if err := s.fault(ctx, &s.failWrites, &s.hangWrites); err != nil {
		return err
	}
	return s.Client.Set(ctx, key, value)
}

// blink makes what each of until stands for (failing reads, hanging writes, ...) last d from now.
func (s *blinkingStorage) blink(d time.Duration, until ...*time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range until {
		*u = time.Now().Add(d)
	}
}

func (s *blinkingStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return keepOpen{s}, nil
}

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
			assert.Len(t, h.logs("B", "Lost leadership: polling stopped, checkpoint saved; standing by"), 1)
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
			assert.LessOrEqual(t, h.lead("A"), h.cfg.Timeout, "leadership loss waits one timeout at most")
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
	store    *blinkingStorage
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
		store:    &blinkingStorage{Client: newSharedStorage().store},
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

// lead gives name a term and returns how long its stop took.
func (h *haRig) lead(name string) time.Duration {
	rep := h.replicas[name]
	from := time.Now()
	stopTook := rep.elector.term(termLength)
	rep.leads = append(rep.leads, [2]time.Time{from, time.Now()})
	return stopTook
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
			assert.Zero(t, x.leader(t), "replica %s stands by at the end", name)
		}
	}
	for app := range uint32(h.apps) {
		cfg := *h.cfg
		cfg.AppID = testAppID + app
		for _, api := range []zegoapi.Action{zegoapi.ActionUsage, zegoapi.ActionQuality} {
			var calls []zegosim.Call
			for _, c := range callsOf(h.sim, api) {
				if c.AppID == cfg.AppID {
					calls = append(calls, c)
				}
			}
			require.NotEmpty(t, calls)
			assert.LessOrEqual(t, maxInWindow(calls, time.Minute), 1, "%s: the quota held across the handoffs", api)
			for _, c := range calls {
				assert.Equal(t, zegosim.CodeSuccess, c.Code, "%s: no call refused", api)
			}
			var cp checkpoint
			raw, err := h.store.Client.Get(t.Context(), fmt.Sprintf("zego_checkpoint/zego/app_id=%d/%s", cfg.AppID, api))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &cp))
			assertExactlyOnce(t, h.sim, &cfg, api, calls[0].StartMs, cp.CursorMs, func(metric string) []point {
				return h.pipeline.gotFor(cfg.AppID, metric)
			})
		}
	}
}

// BenchmarkFailover measures a replica's failover, from the start callback to its first call,
// with initial_delay 0 and a checkpoint to read from an in-memory storage: what remains is the
// receiver's own work (make bench-failover; README, "Running highly available").
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
	checkpoints := newCheckpoints(store.store, component.NewID(metadata.Type), cfg.AppID, zegoapi.ActionUsage, cfg.Timeout, zap.NewNop())
	for b.Loop() {
		b.StopTimer()
		checkpoints.save(b.Context(), checkpoint{CursorMs: time.Now().Add(-10 * time.Minute).UnixMilli()})
		b.StartTimer()
		e.startedLeading(b.Context())
		<-called
		b.StopTimer()
		e.stoppedLeading()
		b.StartTimer()
	}
}

//go:build e2e && linux

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The file_storage extension keeps one bbolt file per component, named after its kind, type and
// name: the zego receiver's is receiver_zego_ (receiver "zego", no name).
const checkpointFile = "receiver_zego_"

// checkpointStart is how the receiver's stored checkpoint (JSON) begins for testAppID.
var checkpointStart = []byte(`{"version":1,"app_id":1234567`)

// storageRun is one collector run on a storage directory and the points it delivered.
type storageRun struct {
	col     *collector
	started time.Time
	points  []point
}

// runOnStorage starts a collector on path, waits for n more accepted requests and stops it.
func runOnStorage(t *testing.T, name, path string, s *sink, n int, during func(*collector)) storageRun {
	t.Helper()
	before := len(s.snapshot())
	r := storageRun{started: time.Now()}
	r.col = startCollector(t, name, path)
	first := s.requests()
	r.col.waitFor(time.Minute, name+": accepted requests", func() bool { return s.requests() >= first+n })
	if during != nil {
		during(r.col)
	}
	r.col.stop()
	r.points = s.snapshot()[before:]
	return r
}

// TestCorruptCheckpoint overwrites the stored checkpoint's bytes in the bbolt file between two
// runs, so that the file opens but the receiver's value does not decode: the receiver warns once
// that it ignores the checkpoint, starts from a fresh cursor (initial_lookback, not where the
// first run stopped), delivers without gap or duplicate, and saves a good checkpoint that a
// third run resumes from.
func TestCorruptCheckpoint(t *testing.T) {
	t.Parallel()
	sim := startHostileSim(t, nil)
	sink := newSink(t)
	cfg := hostileDefaults(sim.url, sink.URL())
	cfg.StorageDir = t.TempDir()
	cfg.InitialLookback = 2 * time.Second // shorter than the downtime: a resumed run would start earlier
	path := writeConfig(t, cfg)

	first := runOnStorage(t, "first run", path, sink, 3, nil)

	file := filepath.Join(cfg.StorageDir, checkpointFile)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the file_storage extension did not keep the receiver's checkpoint where expected: %v", err)
	}
	n := bytes.Count(raw, checkpointStart)
	if n == 0 {
		t.Fatalf("no checkpoint %q in %s", checkpointStart, file)
	}
	// Same length, so the bbolt page stays valid; only the value no longer decodes.
	raw = bytes.ReplaceAll(raw, checkpointStart, bytes.Repeat([]byte{'#'}, len(checkpointStart)))
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	// The downtime is the scenario: longer than initial_lookback, so that a fresh start and a
	// resumed one deliver different first points.
	time.Sleep(5 * time.Second)

	second := runOnStorage(t, "after corruption", path, sink, 3, nil)
	third := runOnStorage(t, "third run", path, sink, 2, nil)

	out := second.col.output()
	loud := zegoLoudLines(out)
	if len(loud) != 1 || !strings.Contains(loud[0].Msg, "Ignoring the stored checkpoint") || !strings.Contains(loud[0].Error, "decoding checkpoint") {
		t.Errorf("want one warning \"Ignoring the stored checkpoint\" naming the decoding error, got:%s", describe(loud))
	}
	if strings.Contains(out, "Resuming from checkpoint") {
		t.Errorf("the receiver resumed from a checkpoint it could not decode")
	}
	cov := verifyPoints(t, second.points, testSeed, testAppID)
	if earliest := second.started.Add(-cfg.DataDelay - cfg.InitialLookback - time.Second).UnixMilli(); cov.firstMs < earliest {
		t.Errorf("after the corruption the first point is %d, older than a fresh cursor allows (%d): not a fresh start", cov.firstMs, earliest)
	}
	seen := map[point]bool{}
	for _, p := range first.points {
		seen[point{metric: p.metric, tsMs: p.tsMs}] = true
	}
	for _, p := range second.points {
		if seen[point{metric: p.metric, tsMs: p.tsMs}] {
			t.Errorf("%s at %d delivered by both runs", p.metric, p.tsMs)
			break
		}
	}

	if !strings.Contains(third.col.output(), "Resuming from checkpoint") {
		t.Errorf("the third run did not resume from the checkpoint the second one saved")
	}
	if loud := zegoLoudLines(third.col.output()); len(loud) != 0 {
		t.Errorf("the third run warned:%s", describe(loud))
	}
	verifyPoints(t, append(second.points, third.points...), testSeed, testAppID)
	quotaHeld(t, sim.Server, testAppID, cfg, 0)
}

// TestUnopenableStorage covers a storage the file_storage extension cannot open for the
// receiver: its bbolt file replaced by garbage, replaced by a directory, or locked by another
// collector running on the same directory. The receiver does not start without the storage it
// was configured with (in the locked case that is what keeps a second, hot poller of the same
// App ID from doubling the calls against ZEGO's quota): the collector exits non-zero at once,
// naming the storage extension and the cause, without a panic.
func TestUnopenableStorage(t *testing.T) {
	t.Parallel()
	sim := startHostileSim(t, nil)
	sink := newSink(t)
	cfg := hostileDefaults(sim.url, sink.URL())
	for _, tt := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		cause string
	}{
		{"garbage", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, checkpointFile), bytes.Repeat([]byte("not a bbolt database "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "invalid database"},
		{"directory", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, checkpointFile), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
		{"locked", func(t *testing.T, dir string) {
			holder := cfg
			holder.StorageDir = dir
			col := startCollector(t, "lock holder", writeConfig(t, holder))
			col.waitFor(time.Minute, "the lock holder's first accepted request", func() bool { return sink.requests() >= 1 })
		}, "timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.StorageDir = t.TempDir()
			tt.spoil(t, c.StorageDir)
			out, err := runCollectorCommand(t, nil, "--config", writeConfig(t, c))
			requireExitError(t, err)
			want := regexp.MustCompile(`failed to start "zego" receiver: storage: opening a client on "file_storage": .*` + tt.cause)
			if !want.MatchString(out) {
				t.Errorf("the output does not say %q:\n%s", want, out)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("the collector panicked:\n%s", out)
			}
		})
	}
	if st := sim.Stats()[testAppID]; st.Calls == 0 || st.Codes[0] != st.Calls {
		t.Errorf("only the lock holder should have called, and successfully: %d calls, codes %v", st.Calls, st.Codes)
	}
}

// TestUnwritableCheckpoint makes the checkpoint unwritable while the collector runs, by lowering
// its RLIMIT_FSIZE below the bbolt file's size (the kernel then refuses writes past the limit,
// even to root, as a full disk would): the receiver warns once, keeps delivering without gap or
// duplicate, and once writes work again saves a checkpoint that the next run resumes from.
func TestUnwritableCheckpoint(t *testing.T) {
	t.Parallel()
	sim := startHostileSim(t, nil)
	sink := newSink(t)
	cfg := hostileDefaults(sim.url, sink.URL())
	cfg.StorageDir = t.TempDir()
	path := writeConfig(t, cfg)

	var limited, restored time.Time
	first := runOnStorage(t, "unwritable", path, sink, 2, func(col *collector) {
		pid := col.cmd.Process.Pid
		limited = time.Now()
		// bbolt rewrites its two 4 KiB meta pages in place and every other page beyond them.
		old := setFileSizeLimit(t, pid, 8192)
		before := sink.requests()
		col.waitFor(time.Minute, "3 accepted requests while the checkpoint cannot be written", func() bool { return sink.requests() >= before+3 })
		setFileSizeLimit(t, pid, old)
		restored = time.Now()
		before = sink.requests()
		col.waitFor(time.Minute, "2 accepted requests once it can", func() bool { return sink.requests() >= before+2 })
	})
	second := runOnStorage(t, "after", path, sink, 2, nil)

	out := first.col.output()
	loud := zegoLoudLines(out)
	if len(loud) != 1 || !strings.Contains(loud[0].Msg, "Could not save the checkpoint") || !strings.Contains(loud[0].Error, "file too large") {
		t.Errorf("want one warning \"Could not save the checkpoint\" (file too large) for a checkpoint unwritable for several polls, got %d:%s", len(loud), describe(loud))
	} else if at := loud[0].at(); at.Before(limited.Truncate(time.Millisecond)) || at.After(restored) {
		t.Errorf("the warning came at %v, not while the checkpoint was unwritable (%v .. %v)", at, limited, restored)
	}
	if n := len(zegoLinesSince(out, restored, "checkpoint is saved again")); n != 1 {
		t.Errorf("the receiver said %d times that the checkpoint is saved again, want once", n)
	}
	if !strings.Contains(second.col.output(), "Resuming from checkpoint") {
		t.Errorf("the next run did not resume from a checkpoint")
	}
	verifyPoints(t, sink.snapshot(), testSeed, testAppID)
	quotaHeld(t, sim.Server, testAppID, cfg, 0)
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid and returns the previous one. Only
// the soft limit changes, so it can be raised back without CAP_SYS_RESOURCE.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) uint64 {
	t.Helper()
	var old syscall.Rlimit
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, 0, uintptr(unsafe.Pointer(&old)), 0, 0); errno != 0 {
		t.Skipf("cannot read the collector's RLIMIT_FSIZE (prlimit: %v); the in-process TestStorageFaultsAreNotFatal covers an unwritable checkpoint", errno)
	}
	limit = min(limit, old.Max)
	next := syscall.Rlimit{Cur: limit, Max: old.Max}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, uintptr(unsafe.Pointer(&next)), 0, 0, 0); errno != 0 {
		t.Skipf("cannot set the collector's RLIMIT_FSIZE (prlimit: %v); the in-process TestStorageFaultsAreNotFatal covers an unwritable checkpoint", errno)
	}
	return old.Cur
}

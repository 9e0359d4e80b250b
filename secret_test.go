// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoreceiver

import (
	"crypto/md5" //nolint:gosec // G501: ZEGO's signature is md5; the test computes it on its own
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"

	"github.com/zego-otel/zegoreceiver/internal/zegoapi"
	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

// secretVolume lays dir out as the kubelet does a Secret volume (server_secret links to
// ..data/server_secret, ..data to a timestamped dir) and returns its update: a new dir, ..data_tmp
// linked to it, renamed over ..data.
func secretVolume(t *testing.T, dir, secret string) (update func(string)) {
	n := 0
	update = func(secret string) {
		n++
		ts := fmt.Sprintf("..2026_12_03_22_00_%02d.%d", n, n)
		require.NoError(t, os.Mkdir(filepath.Join(dir, ts), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, ts, "server_secret"), []byte(secret+"\n"), 0o600))
		require.NoError(t, os.Symlink(ts, filepath.Join(dir, "..data_tmp")))
		require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	}
	update(secret)
	require.NoError(t, os.Symlink(filepath.Join("..data", "server_secret"), filepath.Join(dir, "server_secret")))
	return update
}

// The secret file as production meets it. Missing or empty at start, it fails Start, naming the
// path. Gone or empty later, the last good secret is kept, warned about once. Rotated (ZEGO
// refuses the old secret, and the kubelet swaps the Secret volume), once during the refused call
// (retried at once, in the same poll) and once while the receiver backs off (the first successful
// call comes within one poll): no restart needed.
func TestSecretRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const second, third = "zegosim-second-secret-5e02c9", "zegosim-third-secret-a81f37"
		dir := t.TempDir()
		cfg := testConfig()
		cfg.ServerSecret, cfg.ServerSecretFile = "", filepath.Join(dir, "server_secret")
		cfg.CollectionInterval, cfg.Timeout, cfg.Quota = 2*time.Second, time.Second, QuotaConfig{PerMinute: 60, PerDay: 50_000}
		for _, content := range []string{"", "\n"} { // missing, then empty
			_, err := newSecretSource(cfg, nil)
			assert.ErrorContains(t, err, cfg.ServerSecretFile)
			require.NoError(t, os.WriteFile(cfg.ServerSecretFile, []byte(content), 0o600))
		}
		require.NoError(t, os.Remove(cfg.ServerSecretFile))
		swap := secretVolume(t, dir, testSecret)
		sim := newSim(func(c *zegosim.Config) { c.PerMinute, c.PerDay = 60, -1 })
		var swapDuringCall atomic.Value // a secret the volume takes once the simulator has answered
		rt := roundTrip(func(r *http.Request) (*http.Response, error) {
			resp, err := sim.Transport().RoundTrip(r)
			if secret, _ := swapDuringCall.Swap("").(string); secret != "" {
				swap(secret)
			}
			return resp, err
		})
		x := start(t, cfg, rt, &recorder{}, componenttest.NewNopHost())
		time.Sleep(10 * time.Second)
		require.NoError(t, os.Remove(filepath.Join(dir, "..data")))
		time.Sleep(10 * time.Second)
		swap("")
		time.Sleep(10 * time.Second)
		swap(testSecret)
		time.Sleep(10 * time.Second)
		assert.Len(t, x.logs.FilterMessageSnippet("Cannot read server_secret_file").All(), 1, "warned once")
		assert.Len(t, x.logs.FilterMessageSnippet("can be read again").All(), 1)

		sim.SetSecret(testAppID, second)
		swapDuringCall.Store(second)
		time.Sleep(time.Minute)
		calls := sim.Calls()
		refused := slices.IndexFunc(calls, func(c zegosim.Call) bool { return c.Code != zegosim.CodeSuccess })
		require.True(t, refused >= 19 && refused+1 < len(calls), "the last good secret kept; a refused call, then another")
		assert.Equal(t, calls[refused].Time, calls[refused+1].Time, "retried at once")
		assert.Equal(t, []int{zegosim.CodeSignatureWrong, zegosim.CodeSuccess}, []int{calls[refused].Code, calls[refused+1].Code})

		sim.SetSecret(testAppID, third)
		time.Sleep(5 * time.Minute) // refused, backing off
		swapped := time.Now()
		swap(third)
		time.Sleep(time.Minute)
		calls = sim.Calls()
		first := slices.IndexFunc(calls, func(c zegosim.Call) bool { return c.Time.After(swapped) && c.Code == zegosim.CodeSuccess })
		require.Positive(t, first)
		assert.LessOrEqual(t, calls[first].Time.Sub(swapped), 10*time.Second, "the first successful call within one poll of the swap")

		assert.Len(t, x.logs.FilterMessageSnippet("calls resume at once").All(), 2)
	})
}

// rotated calls again at once only after bad credentials, a new secret, and within the quota.
func TestRotatedKeepsTheQuota(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server_secret")
	require.NoError(t, os.WriteFile(path, []byte("new"), 0o600))
	p := &poller{secret: &secretSource{path: path}, ledger: newQuotaLedger(QuotaConfig{PerMinute: 1, PerDay: 9}, 0), logger: zap.NewNop()}
	assert.False(t, p.rotated(zegoapi.KindRateLimited))
	assert.True(t, p.rotated(zegoapi.KindBadCredentials), "a new secret")
	p.ledger.record(time.Now())
	assert.False(t, p.rotated(zegoapi.KindBadCredentials), "the quota allows no call now")
	p.ledger, p.signedGen = newQuotaLedger(QuotaConfig{PerMinute: 1, PerDay: 9}, 0), 1
	assert.False(t, p.rotated(zegoapi.KindBadCredentials), "the secret that was refused")
}

// TestSignedWithTheSecretRead: server_secret_file serves the next secret at every read, as if
// the secret were rotated between any two reads. Each call is signed with the secret the
// receiver read for it and remembers, so a call refused for bad credentials is retried at once
// with the secret read after it, and never again with the one refused.
func TestSignedWithTheSecretRead(t *testing.T) {
	secrets := []string{"zegosim-rotated-0", "zegosim-rotated-1", "zegosim-rotated-2"} // none accepted
	dir := t.TempDir()
	link := filepath.Join(dir, "server_secret")
	// Each read opens a FIFO of its own: the link moves to the next one before the secret is
	// written to the reader, so no two reads share one.
	fifo := func(i int) string { return filepath.Join(dir, fmt.Sprint("fifo", i)) }
	require.NoError(t, syscall.Mkfifo(fifo(0), 0o600))
	require.NoError(t, os.Symlink(fifo(0), link))
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			f, err := os.OpenFile(fifo(i), os.O_WRONLY, 0) // until a read opens it
			if err != nil {
				return
			}
			select {
			case <-stop:
				_ = f.Close()
				return
			default:
			}
			_ = syscall.Mkfifo(fifo(i+1), 0o600)
			_ = os.Symlink(fifo(i+1), link+".next")
			_ = os.Rename(link+".next", link)
			_, _ = f.WriteString(secrets[min(i, len(secrets)-1)]) // the last one stays
			_ = f.Close()
		}
	}()
	t.Cleanup(func() { // after the receiver's Shutdown: a last read lets the writer see stop
		close(stop)
		_, _ = os.ReadFile(link) //nolint:gosec // G304: the test's own FIFO
	})
	sim := newSim(nil)
	signedWith := make(chan string, 10)
	rt := roundTrip(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		for _, s := range secrets {
			sum := md5.Sum([]byte(strconv.FormatUint(uint64(testAppID), 10) + q.Get("SignatureNonce") + s + q.Get("Timestamp"))) //nolint:gosec // G401: ZEGO's signature is md5
			if hex.EncodeToString(sum[:]) == q.Get("Signature") {
				signedWith <- s
			}
		}
		return sim.Transport().RoundTrip(r)
	})
	cfg := testConfig()
	cfg.ServerSecret, cfg.ServerSecretFile, cfg.InitialDelay = "", link, 0
	start(t, cfg, rt, &recorder{}, componenttest.NewNopHost())
	assert.Equal(t, []string{secrets[1], secrets[2]}, []string{<-signedWith, <-signedWith},
		"the first call signed with the secret read for it, the retry with the one read after its refusal")
}

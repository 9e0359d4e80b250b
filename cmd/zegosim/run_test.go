package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zego-otel/zegoreceiver/internal/zegosim"
)

const (
	testApp    = uint32(12345)
	testSecret = "9193cc662a4c0ec135ec71fb57194b38"
	waitLimit  = 10 * time.Second // a guard against hangs, not a synchronisation
)

// watchBuffer is a concurrency-safe writer that wakes waiters on each write.
type watchBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newWatchBuffer() *watchBuffer { return &watchBuffer{changed: make(chan struct{})} }

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return n, err
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor blocks until the text contains s, or done fires (run ended).
func (w *watchBuffer) waitFor(t *testing.T, s string, done <-chan struct{}) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		w.mu.Lock()
		found, changed := strings.Contains(w.b.String(), s), w.changed
		w.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-done:
			t.Fatalf("run ended before writing %q", s)
		case <-deadline:
			t.Fatalf("no %q after %v", s, waitLimit)
		}
	}
}

// instance is zegosim running in-process on an ephemeral loopback port.
type instance struct {
	stop           chan os.Signal
	done           chan struct{} // closed when run returns
	err            error         // what run returned, once done
	stdout, stderr *watchBuffer
	addrFile       string
	addr           string
	base           string // scheme://addr
}

func start(t *testing.T, args ...string) *instance {
	t.Helper()
	in := &instance{
		stop:     make(chan os.Signal, 1),
		done:     make(chan struct{}),
		stdout:   newWatchBuffer(),
		stderr:   newWatchBuffer(),
		addrFile: filepath.Join(t.TempDir(), "addr"),
	}
	args = append([]string{"-listen", "127.0.0.1:0", "-addr-file", in.addrFile}, args...)
	go func() {
		defer close(in.done)
		in.err = run(args, in.stdout, in.stderr, in.stop)
	}()
	in.stdout.waitFor(t, "\n", in.done) // the start line comes after the addr file
	t.Cleanup(func() {
		select {
		case in.stop <- syscall.SIGTERM:
		default:
		}
		select {
		case <-in.done:
		case <-time.After(waitLimit):
			t.Error("zegosim did not stop")
		}
	})

	b, err := os.ReadFile(in.addrFile)
	require.NoError(t, err)
	in.addr = strings.TrimSpace(string(b))
	host, port, err := net.SplitHostPort(in.addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	assert.NotEqual(t, "0", port)
	line := in.stdout.String()
	assert.Equal(t, 1, strings.Count(line, "\n"), "one start line")
	for _, scheme := range []string{"http", "https"} {
		if strings.Contains(line, scheme+"://"+in.addr+"/") {
			in.base = scheme + "://" + in.addr
		}
	}
	require.NotEmpty(t, in.base, "the start line names the URL: %s", line)
	return in
}

// shutdown sends SIGTERM and expects a clean exit.
func (in *instance) shutdown(t *testing.T) {
	t.Helper()
	in.stop <- syscall.SIGTERM
	select {
	case <-in.done:
		require.NoError(t, in.err)
	case <-time.After(waitLimit):
		t.Fatal("zegosim did not stop")
	}
	_, err := os.Stat(in.addrFile)
	assert.ErrorIs(t, err, os.ErrNotExist, "the addr file is removed on exit")
}

type apiAnswer struct {
	Code      int
	Message   string
	RequestId json.RawMessage //nolint:revive // ZEGO's spelling
	Data      *struct {
		Metrics []struct {
			Metric string
			Values []struct {
				Timestamp int64
				Value     float64
			}
		}
	}
}

var nonces atomic.Int64

// signedQuery builds a valid call for the last minute of data.
func signedQuery() url.Values {
	nonce := fmt.Sprintf("run-test-%d-%d", time.Now().UnixNano(), nonces.Add(1))
	now := time.Now()
	ts := now.Unix()
	return url.Values{
		"Action":           {"GetRealtimeUsage"},
		"AppId":            {fmt.Sprint(testApp)},
		"SignatureNonce":   {nonce},
		"Timestamp":        {fmt.Sprint(ts)},
		"SignatureVersion": {"2.0"},
		"Signature":        {zegosim.Sign(testApp, nonce, testSecret, ts)},
		"Metrics[]":        {zegosim.MetricOnlineUser, zegosim.MetricPublishConcurrent},
		"StartTs":          {fmt.Sprint(now.Add(-time.Minute).UnixMilli())},
		"EndTs":            {"0"},
	}
}

func call(t *testing.T, client *http.Client, base string, q url.Values) (apiAnswer, string) {
	t.Helper()
	resp, err := client.Get(base + "/?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var a apiAnswer
	require.NoError(t, json.Unmarshal(body, &a), string(body))
	return a, string(body)
}

func TestRunServes(t *testing.T) {
	in := start(t, "-app", fmt.Sprintf("%d:%s", testApp, testSecret), "-delay", "0", "-per-minute", "0", "-v")
	client := &http.Client{Timeout: waitLimit}

	q := signedQuery()
	a, _ := call(t, client, in.base, q)
	require.Equal(t, zegosim.CodeSuccess, a.Code, a.Message)
	require.Len(t, a.Data.Metrics, 2)
	assert.NotEmpty(t, a.Data.Metrics[0].Values)
	assert.Equal(t, byte('"'), a.RequestId[0], "tidy by default")

	resp, err := client.Get(in.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = client.Post(in.base+"/admin/faults", "application/json", strings.NewReader(`{"kind":"code500","count":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	a, _ = call(t, client, in.base, signedQuery())
	assert.Equal(t, zegosim.CodeInternal, a.Code)

	resp, err = client.Get(in.base + "/admin/stats")
	require.NoError(t, err)
	var stats map[string]zegosim.AppStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
	resp.Body.Close()
	assert.Equal(t, 2, stats["12345"].Calls)

	in.shutdown(t)
	log := in.stderr.String()
	assert.Contains(t, log, "app=12345 code=0")
	assert.NotContains(t, log, testSecret)
	assert.NotContains(t, log, q.Get("Signature"))
	assert.NotContains(t, in.stdout.String(), testSecret)
}

func TestRunOptions(t *testing.T) {
	in := start(t, "-any-secret", testSecret, "-quirks", "-fault", "rate_limit:1", "-granularity", "1m", "-phase-ms", "767")
	client := &http.Client{Timeout: waitLimit}

	a, _ := call(t, client, in.base, signedQuery())
	assert.Equal(t, zegosim.CodeRateLimit, a.Code, "-fault injects at start")

	q := signedQuery()
	q.Set("StartTs", fmt.Sprint(time.Now().Add(-time.Hour).UnixMilli()))
	a, body := call(t, client, in.base, q)
	require.Equal(t, zegosim.CodeSuccess, a.Code, a.Message)
	assert.NotEqual(t, byte('"'), a.RequestId[0], "-quirks: RequestId is a bare number")
	for _, m := range a.Data.Metrics {
		for _, v := range m.Values {
			require.Equal(t, int64(767), v.Timestamp%60_000, "-granularity and -phase-ms: %s", body[:min(len(body), 200)])
		}
	}
	in.shutdown(t)
}

func TestRunTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	in := start(t, "-app", fmt.Sprintf("%d:%s", testApp, testSecret), "-tls-cert", certFile, "-tls-key", keyFile)
	require.True(t, strings.HasPrefix(in.base, "https://"), in.base)
	client := &http.Client{Timeout: waitLimit, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	a, _ := call(t, client, in.base, signedQuery())
	assert.Equal(t, zegosim.CodeSuccess, a.Code, a.Message)
	in.shutdown(t)
}

// TestRunStopEndsSlowCalls checks a stop does not wait out a slow fault.
func TestRunStopEndsSlowCalls(t *testing.T) {
	in := start(t, "-app", fmt.Sprintf("%d:%s", testApp, testSecret), "-fault", "slow:0:1h", "-v")
	answered := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Timeout: waitLimit}).Get(in.base + "/?" + signedQuery().Encode())
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	in.stderr.waitFor(t, "fault=slow: waiting", in.done)
	began := time.Now()
	in.shutdown(t)
	assert.Less(t, time.Since(began), shutdownGrace, "the slow call was cut short, not waited for")
	select {
	case err := <-answered:
		assert.Error(t, err, "the slow call got no answer")
	case <-time.After(waitLimit):
		t.Fatal("the client is still waiting")
	}
}

func TestRunErrors(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad listen address", []string{"-listen", "127.0.0.1:99999"}, "invalid port"},
		{"unreadable TLS pair", []string{"-tls-cert", certFile, "-tls-key", "/nonexistent/key.pem"}, "TLS key pair"},
		{"addr file in a missing directory", []string{"-listen", "127.0.0.1:0", "-addr-file", "/nonexistent/dir/addr"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(append([]string{"-app", "1:s"}, tt.args...), &stdout, &stderr, make(chan os.Signal))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, stdout.String(), "no start line")
		})
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns a
// pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

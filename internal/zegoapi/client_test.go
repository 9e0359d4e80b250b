package zegoapi

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ZEGO's worked signature example; the request tests sign with exactly these values.
const (
	exampleAppID     = 12345
	exampleNonce     = "4fd24687296dd9f3"
	exampleSecret    = "9193cc662a4c0ec135ec71fb57194b38"
	exampleTimestamp = 1615186943
	exampleSignature = "43e5cfcca828314675f91b001390566a"
)

var exampleQuery = Query{
	Metrics: []string{MetricOnlineUser, MetricPublishConcurrent, MetricMixConcurrent},
	StartMs: 1672565276000,
	EndMs:   1672565456000,
}

// repeatReader yields the same bytes forever, so every call gets exampleNonce.
type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p), nil
}

func exampleNonceReader(t testing.TB) io.Reader {
	b, err := hex.DecodeString(exampleNonce)
	require.NoError(t, err)
	return repeatReader(b)
}

func exampleClock() time.Time { return time.Unix(exampleTimestamp, 0) }

// newExampleClient signs like ZEGO's example: fixed AppID, secret, clock and nonce.
func newExampleClient(t testing.TB, endpoint string, edit ...func(*Config)) *Client {
	cfg := Config{Endpoint: endpoint, AppID: exampleAppID, ServerSecret: exampleSecret}
	for _, e := range edit {
		e(&cfg)
	}
	return NewClient(nil, cfg, WithClock(exampleClock), WithNonceReader(exampleNonceReader(t)))
}

func newServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func serveBody(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// assertNoSecrets checks an error's text, and the text of every error in its chain.
func assertNoSecrets(t *testing.T, err error, signature string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		msg := e.Error()
		assert.NotContains(t, msg, exampleSecret, "error text holds the ServerSecret")
		assert.NotContains(t, msg, signature, "error text holds the Signature")
	}
}

func TestRequestParameters(t *testing.T) {
	boolPtr := func(b bool) *bool { return &b }
	tests := []struct {
		name     string
		path     string // appended to the server URL to form the Endpoint
		isTest   *bool
		wantPath string
	}{
		{"no path, IsTest unset", "", nil, "/"},
		{"root path, IsTest true", "/", boolPtr(true), "/"},
		{"path kept, IsTest false", "/proxy/zego", boolPtr(false), "/proxy/zego"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				_, _ = w.Write(readTestdata(t, "example_zh.json"))
			})
			c := newExampleClient(t, srv.URL+tt.path, func(cfg *Config) { cfg.IsTest = tt.isTest })

			ans, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
			require.NoError(t, err)
			assert.Equal(t, "1660645050860325000", ans.RequestID)
			require.NotNil(t, got)

			assert.Equal(t, http.MethodGet, got.Method)
			assert.Equal(t, tt.wantPath, got.URL.Path)
			assert.Equal(t, "application/json", got.Header.Get("Accept"))
			want := url.Values{
				"Action":           {"GetRealtimeUsage"},
				"Metrics[]":        {"online_user", "publish_concurrent", "mix_concurrent"},
				"StartTs":          {"1672565276000"},
				"EndTs":            {"1672565456000"},
				"AppId":            {"12345"},
				"SignatureNonce":   {exampleNonce},
				"Timestamp":        {"1615186943"},
				"SignatureVersion": {"2.0"},
				"Signature":        {exampleSignature},
			}
			if tt.isTest != nil {
				want["IsTest"] = []string{strconv.FormatBool(*tt.isTest)}
			}
			assert.Equal(t, want, got.URL.Query())
			assert.NotContains(t, got.URL.RawQuery, exampleSecret, "the secret must never be sent")
		})
	}
}

func TestEndpointQueryKept(t *testing.T) {
	var got url.Values
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		_, _ = io.WriteString(w, `{"Code":0}`)
	})
	c := newExampleClient(t, srv.URL+"/x?tenant=a")
	_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
	require.NoError(t, err)
	assert.Equal(t, "a", got.Get("tenant"))
	assert.Equal(t, "GetRealtimeUsage", got.Get("Action"))
}

func TestFreshNonceEveryCall(t *testing.T) {
	var mu sync.Mutex
	var seen []url.Values
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Query())
		mu.Unlock()
		_, _ = io.WriteString(w, `{"Code":0}`)
	})
	// The default nonce reader (crypto/rand); a fixed clock, so only the nonce can differ.
	c := NewClient(srv.Client(), Config{Endpoint: srv.URL, AppID: exampleAppID, ServerSecret: exampleSecret},
		WithClock(exampleClock))
	for range 2 {
		_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
		require.NoError(t, err)
	}
	require.Len(t, seen, 2)
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, q := range seen {
		nonce := q.Get("SignatureNonce")
		assert.Regexp(t, hex16, nonce)
		// The signature is recomputed here independently of sign.go.
		sum := md5.Sum([]byte(fmt.Sprintf("%d%s%s%d", exampleAppID, nonce, exampleSecret, exampleTimestamp)))
		assert.Equal(t, hex.EncodeToString(sum[:]), q.Get("Signature"))
	}
	assert.NotEqual(t, seen[0].Get("SignatureNonce"), seen[1].Get("SignatureNonce"))
	assert.NotEqual(t, seen[0].Get("Signature"), seen[1].Get("Signature"))
}

func TestErrorClasses(t *testing.T) {
	htmlPage := string(readTestdata(t, "bad_html.html"))
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		maxBody   int64
		kind      ErrorKind
		code      int64
		status    int
		requestID string
		contains  []string
	}{
		{name: "code 500", handler: serveBody(200, string(readTestdata(t, "code_500.json"))),
			kind: KindTransient, code: 500, status: 200, requestID: "1660645050860325001", contains: []string{"internal error", "ZEGO server error"}},
		{name: "code 10001", handler: serveBody(200, string(readTestdata(t, "code_10001.json"))),
			kind: KindPermanent, code: 10001, status: 200, requestID: "1660645050860325002"},
		{name: "code 10002", handler: serveBody(200, string(readTestdata(t, "code_10002.json"))),
			kind: KindPermanent, code: 10002, status: 200, requestID: "r10002"},
		{name: "code 30002", handler: serveBody(200, string(readTestdata(t, "code_30002.json"))),
			kind: KindRateLimited, code: 30002, status: 200, requestID: "r30002", contains: []string{"quota"}},
		{name: "code 100000004", handler: serveBody(200, string(readTestdata(t, "code_100000004.json"))),
			kind: KindClockSkew, code: 100000004, status: 200, requestID: "r4", contains: []string{"the local clock is more than 10 minutes off"}},
		{name: "code 100000005", handler: serveBody(200, string(readTestdata(t, "code_100000005.json"))),
			kind: KindBadCredentials, code: 100000005, status: 200, requestID: "r5", contains: []string{"check app_id and server_secret"}},
		{name: "unknown code", handler: serveBody(200, string(readTestdata(t, "code_unknown.json"))),
			kind: KindTransient, code: 123456, status: 200, requestID: "r?", contains: []string{"something new"}},
		{name: "HTTP 429", handler: serveBody(429, "Too Many Requests\n"),
			kind: KindRateLimited, status: 429, contains: []string{"HTTP 429", "Too Many Requests"}},
		{name: "HTTP 403 HTML", handler: serveBody(403, "<html><body><h1>403 Forbidden</h1></body></html>", "Content-Type", "text/html"),
			kind: KindPermanent, status: 403, contains: []string{"HTTP 403", "403 Forbidden"}},
		{name: "HTTP 404", handler: serveBody(404, "404 page not found"),
			kind: KindPermanent, status: 404, contains: []string{"HTTP 404"}},
		{name: "HTTP 502 HTML", handler: serveBody(502, htmlPage, "Content-Type", "text/html"),
			kind: KindTransient, status: 502, contains: []string{"HTTP 502", "<title>502 Bad Gateway</title>", "nginx"}},
		{name: "HTTP 503 with code 30002", handler: serveBody(503, string(readTestdata(t, "code_30002.json"))),
			kind: KindRateLimited, code: 30002, status: 503, requestID: "r30002"},
		{name: "HTTP 400 with code 10001", handler: serveBody(400, `{"Code":10001,"Message":"bad Metrics[]","RequestId":"q"}`),
			kind: KindPermanent, code: 10001, status: 400, requestID: "q", contains: []string{"bad Metrics[]"}},
		{name: "HTTP 401 with code 100000005", handler: serveBody(401, `{"Code":100000005,"Message":"signature error"}`),
			kind: KindBadCredentials, code: 100000005, status: 401},
		{name: "HTTP 500 with code 0", handler: serveBody(500, `{"Code":0,"Message":"success","RequestId":"z"}`),
			kind: KindTransient, status: 500, requestID: "z"},
		{name: "HTTP 418 empty", handler: serveBody(418, ""),
			kind: KindPermanent, status: 418, contains: []string{"empty body"}},
		{name: "empty body", handler: serveBody(200, ""),
			kind: KindTransient, status: 200, contains: []string{"empty"}},
		{name: "truncated JSON", handler: serveBody(200, string(readTestdata(t, "bad_truncated.json"))),
			kind: KindTransient, status: 200, contains: []string{"unexpected end of input"}},
		{name: "HTML with 200", handler: serveBody(200, htmlPage),
			kind: KindTransient, status: 200, contains: []string{"invalid ZEGO answer at byte 0", "502 Bad Gateway"}},
		{name: "no Code", handler: serveBody(200, `{"Data":{"Metrics":[]}}`),
			kind: KindTransient, status: 200, contains: []string{"no Code"}},
		{name: "body over the cap", handler: serveBody(200, `{"Code":0,"Pad":"`+strings.Repeat("x", 2000)+`"}`), maxBody: 1024,
			kind: KindTransient, status: 200, contains: []string{"larger than MaxBodyBytes (1024 bytes)"}},
		{name: "body over the cap, chunked", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length: the cap must not rely on it
			_, _ = io.WriteString(w, `{"Code":0,"Pad":"`+strings.Repeat("x", 2000)+`"}`)
		}, maxBody: 1024, kind: KindTransient, status: 200, contains: []string{"larger than MaxBodyBytes (1024 bytes)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			c := newExampleClient(t, srv.URL, func(cfg *Config) { cfg.MaxBodyBytes = tt.maxBody })
			ans, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
			require.Error(t, err)
			assert.Nil(t, ans)

			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			kind, ok := KindOf(err)
			assert.True(t, ok)
			assert.Equal(t, tt.kind, kind, "kind")
			assert.Equal(t, tt.kind, apiErr.Kind)
			assert.Equal(t, tt.code, apiErr.Code, "code")
			assert.Equal(t, tt.status, apiErr.HTTPStatus, "status")
			assert.Equal(t, tt.requestID, apiErr.RequestID, "request id")
			assert.False(t, apiErr.ServerTime.IsZero(), "httptest sends a Date header")

			msg := err.Error()
			assert.NotContains(t, msg, "\n")
			assert.Contains(t, msg, "("+tt.kind.String()+")")
			if tt.code != 0 {
				assert.Contains(t, msg, "code "+strconv.FormatInt(tt.code, 10))
			}
			if tt.requestID != "" {
				assert.Contains(t, msg, "request id "+tt.requestID)
			}
			for _, s := range tt.contains {
				assert.Contains(t, msg, s)
			}
			assertNoSecrets(t, err, exampleSignature)
		})
	}
}

func TestBodyCapBoundary(t *testing.T) {
	body := `{"Code":0,"RequestId":"cap"}`
	srv := newServer(t, serveBody(200, body))
	exact := newExampleClient(t, srv.URL, func(cfg *Config) { cfg.MaxBodyBytes = int64(len(body)) })
	ans, err := exact.GetRealtimeUsage(context.Background(), exampleQuery)
	require.NoError(t, err, "a body exactly at the cap is fine")
	assert.Equal(t, "cap", ans.RequestID)

	under := newExampleClient(t, srv.URL, func(cfg *Config) { cfg.MaxBodyBytes = int64(len(body)) - 1 })
	_, err = under.GetRealtimeUsage(context.Background(), exampleQuery)
	kind, ok := KindOf(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindTransient, kind)
}

func TestServerTimeAndClockSkew(t *testing.T) {
	serverTime := time.Date(2023, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		offset time.Duration
		want   string
	}{
		{"ahead", 15*time.Minute + 30*time.Second, "it is 15m30s ahead of ZEGO's server"},
		{"behind", -2 * time.Hour, "it is 2h0m0s behind ZEGO's server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, serveBody(200, string(readTestdata(t, "code_100000004.json")),
				"Date", serverTime.Format(http.TimeFormat)))
			c := NewClient(nil, Config{Endpoint: srv.URL, AppID: exampleAppID, ServerSecret: exampleSecret},
				WithClock(func() time.Time { return serverTime.Add(tt.offset) }))
			_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, KindClockSkew, apiErr.Kind)
			assert.True(t, serverTime.Equal(apiErr.ServerTime), "ServerTime %v", apiErr.ServerTime)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, "r4", apiErr.RequestID)
		})
	}
}

func TestNoDateHeaderNoServerTime(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Date"] = nil // suppresses net/http's automatic Date
		_, _ = w.Write(readTestdata(t, "code_100000004.json"))
	})
	_, err := newExampleClient(t, srv.URL).GetRealtimeUsage(context.Background(), exampleQuery)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.True(t, apiErr.ServerTime.IsZero())
	assert.NotContains(t, err.Error(), "ahead")
}

// TestConnectionReset: the server accepts the request and resets the connection without an
// answer. The *url.Error behind it quotes the request URL; the signature must not survive.
func TestConnectionReset(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST rather than FIN
		}
		_ = conn.Close()
	})
	c := newExampleClient(t, srv.URL)
	_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
	require.Error(t, err)
	kind, ok := KindOf(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindTransient, kind)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Zero(t, apiErr.HTTPStatus)
	assert.Zero(t, apiErr.Code)

	var urlErr *url.Error
	require.ErrorAs(t, err, &urlErr, "the transport error is kept in the chain")
	assert.Contains(t, urlErr.URL, "Signature=REDACTED")
	assert.Contains(t, err.Error(), "Signature=REDACTED")
	assertNoSecrets(t, err, exampleSignature)
}

// A connection that breaks must not be retried behind the caller's back:
// every request the server sees is a call ZEGO meters against the quota.
func TestNoHiddenRetryOnBrokenConnection(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n == 2 { // the second call finds its connection dropped
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		serveBody(200, `{"Code":0,"Data":{"Metrics":[]}}`)(w, nil)
	})
	c := NewClient(srv.Client(), Config{Endpoint: srv.URL, AppID: 1, ServerSecret: "s"})
	_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
	require.NoError(t, err)
	_, err = c.GetRealtimeUsage(context.Background(), exampleQuery)
	require.Error(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, requests, "two calls, two requests")
}

// blockingServer holds every request until the test ends (or the client goes away), and
// reports each arrival on the returned channel.
func blockingServer(t *testing.T, writeHeaderFirst bool) (*httptest.Server, <-chan struct{}) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 8)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if writeHeaderFirst {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"Code":0,"Data":{"Metrics":[`)
			w.(http.Flusher).Flush()
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close, which waits for handlers
	return srv, arrived
}

func TestTimeout(t *testing.T) {
	for _, tt := range []struct {
		name         string
		headersFirst bool
		detail       string
	}{
		{"before the answer", false, "request timed out"},
		{"while reading the body", true, "reading the answer timed out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := blockingServer(t, tt.headersFirst)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := newExampleClient(t, srv.URL).GetRealtimeUsage(ctx, exampleQuery)
			require.Error(t, err)
			kind, ok := KindOf(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, KindTransient, kind)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Contains(t, err.Error(), tt.detail)
			assertNoSecrets(t, err, exampleSignature)
		})
	}
}

func TestTimeoutFromHTTPClient(t *testing.T) {
	srv, _ := blockingServer(t, false)
	c := NewClient(&http.Client{Timeout: 200 * time.Millisecond},
		Config{Endpoint: srv.URL, AppID: exampleAppID, ServerSecret: exampleSecret},
		WithClock(exampleClock), WithNonceReader(exampleNonceReader(t)))
	_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
	kind, ok := KindOf(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindTransient, kind)
	assert.Contains(t, err.Error(), "timed out")
	assertNoSecrets(t, err, exampleSignature)
}

func TestCanceled(t *testing.T) {
	for _, tt := range []struct {
		name         string
		headersFirst bool
		cause        error
	}{
		{"before the answer", false, nil},
		{"while reading the body", true, nil},
		{"with a cause", false, errors.New("collector shutting down")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, arrived := blockingServer(t, tt.headersFirst)
			ctx, cancel := context.WithCancelCause(context.Background())
			go func() {
				<-arrived
				cancel(tt.cause)
			}()
			ans, err := newExampleClient(t, srv.URL).GetRealtimeUsage(ctx, exampleQuery)
			assert.Nil(t, ans)
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			if tt.cause != nil {
				assert.ErrorIs(t, err, tt.cause)
			}
			_, isAPI := KindOf(err)
			assert.False(t, isAPI, "cancellation is not an API failure: %v", err)
			var apiErr *APIError
			assert.False(t, errors.As(err, &apiErr))
			assertNoSecrets(t, err, exampleSignature)
		})
	}
}

func TestCanceledBeforeCall(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newExampleClient(t, srv.URL).GetRealtimeUsage(ctx, exampleQuery)
	assert.ErrorIs(t, err, context.Canceled)
	_, isAPI := KindOf(err)
	assert.False(t, isAPI)
	assert.Zero(t, hits.Load())
}

// TestRedactsEchoes: servers and proxies may echo the request URL (hence the Signature) in an
// error page or message. None of it may reach the error text.
func TestRedactsEchoes(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"ZEGO message", func(w http.ResponseWriter, r *http.Request) {
			_, _ = fmt.Fprintf(w, `{"Code":100000005,"Message":"signature %s is wrong for secret %s","RequestId":"x"}`,
				r.URL.Query().Get("Signature"), exampleSecret)
		}},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			_, _ = fmt.Fprintf(w, "<html>%s not found; secret=%s</html>", r.URL.String(), exampleSecret)
		}},
		{"signature cut by the snippet", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			_, _ = io.WriteString(w, strings.Repeat(".", 185)+r.URL.Query().Get("Signature"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			_, err := newExampleClient(t, srv.URL).GetRealtimeUsage(context.Background(), exampleQuery)
			require.Error(t, err)
			assertNoSecrets(t, err, exampleSignature)
			assert.NotContains(t, err.Error(), exampleSignature[:15])
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.NotContains(t, apiErr.Message, exampleSignature)
		})
	}
}

func TestRejectedBeforeSending(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, `{"Code":0}`)
	})
	tests := []struct {
		name     string
		endpoint string
		query    Query
		kind     ErrorKind
		contains string
	}{
		{"no metrics", srv.URL, Query{StartMs: 1, EndMs: 2}, KindPermanent, "no metrics"},
		{"bad scheme", "ftp://example.com", exampleQuery, KindPermanent, "scheme"},
		{"no host", "http:///path", exampleQuery, KindPermanent, "no host"},
		{"unparsable", "http://[::1", exampleQuery, KindPermanent, "invalid Endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newExampleClient(t, tt.endpoint).GetRealtimeUsage(context.Background(), tt.query)
			kind, ok := KindOf(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tt.kind, kind)
			assert.Contains(t, err.Error(), tt.contains)
		})
	}
	assert.Zero(t, hits.Load())
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestNonceReaderFailure(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) })
	c := NewClient(nil, Config{Endpoint: srv.URL, AppID: 1, ServerSecret: "s"}, WithNonceReader(failingReader{}))
	_, err := c.GetRealtimeUsage(context.Background(), exampleQuery)
	kind, ok := KindOf(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindTransient, kind)
	assert.Contains(t, err.Error(), "entropy exhausted")
	assert.Zero(t, hits.Load())
}

func TestDefaultEndpoint(t *testing.T) {
	c := NewClient(nil, Config{AppID: 1})
	require.NoError(t, c.endpointErr)
	assert.Equal(t, "https://analytics-api.zego.im/", c.endpoint.String())
	assert.Equal(t, int64(DefaultMaxBodyBytes), c.maxBody)
}

// TestConcurrentCalls runs calls in parallel (under -race) and checks that each gets its own
// answer: the body buffers are pooled, so sharing would show up as mixed request ids.
func TestConcurrentCalls(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"Code":0,"RequestId":%q,"Data":{"Metrics":[{"Metric":"online_user","Values":[{"Timestamp":1,"Value":%s}]}]}}`,
			r.URL.Query().Get("StartTs"), r.URL.Query().Get("StartTs"))
	})
	c := NewClient(srv.Client(), Config{Endpoint: srv.URL, AppID: exampleAppID, ServerSecret: exampleSecret})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				start := int64(i*100 + j)
				q := exampleQuery
				q.StartMs = start
				var a Answer
				if err := c.GetRealtimeUsageInto(context.Background(), q, &a); err != nil {
					t.Error(err)
					return
				}
				if a.RequestID != strconv.FormatInt(start, 10) || a.Series[0].Points[0].Value != start {
					t.Errorf("call %d got %+v", start, a)
				}
			}
		})
	}
	wg.Wait()
}

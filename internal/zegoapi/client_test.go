// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"context"
	"crypto/md5" //nolint:gosec // G501: ZEGO's signature is md5; the test computes it on its own
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "9193cc662a4c0ec135ec71fb57194b38" //nolint:gosec // G101: ZEGO's worked example, published on its page

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func newTestClient(tb testing.TB, endpoint string, rt http.RoundTripper) *Client {
	tb.Helper()
	c, err := NewClient(&http.Client{Transport: rt}, Config{Endpoint: endpoint, AppID: 12345})
	require.NoError(tb, err)
	return c
}

// serve answers every call with status, header and body.
func serve(t *testing.T, status int, header http.Header, body string) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return newTestClient(t, srv.URL, srv.Client().Transport)
}

var testQuery = Query{Action: ActionQuality, Metrics: []string{"uplink_rtt", "video_break_rate"}, StartMs: 1000, EndMs: 2001}

func TestSignatureWorkedExample(t *testing.T) {
	assert.Equal(t, "43e5cfcca828314675f91b001390566a", signature(12345, "4fd24687296dd9f3", testSecret, 1615186943))
}

func TestRequest(t *testing.T) {
	isTest := false
	var got []*http.Request
	c, err := NewClient(&http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		got = append(got, r)
		return httptest.NewRecorder().Result(), nil
	})}, Config{Endpoint: "https://zego.test/base?region=sgp", AppID: 12345, IsTest: &isTest})
	require.NoError(t, err)
	for range 2 {
		_, _ = c.Get(t.Context(), testSecret, testQuery)
	}

	require.Len(t, got, 2)
	r := got[0]
	assert.True(t, r.Close, "a fresh connection per call: no hidden resend of a metered call")
	assert.Equal(t, "/base", r.URL.Path)
	assert.Regexp(t, `^region=sgp&Action=GetRealtimeQuality&Metrics%5B%5D=uplink_rtt&Metrics%5B%5D=video_break_rate&StartTs=1000&EndTs=2001&AppId=12345&SignatureNonce=[0-9a-f]{16}&Timestamp=\d+&SignatureVersion=2.0&Signature=[0-9a-f]{32}&IsTest=false$`, r.URL.RawQuery)
	q := r.URL.Query()
	ts, err := strconv.ParseInt(q.Get("Timestamp"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Unix(), ts, 60)
	// The signature, computed here on its own rather than by the code under test.
	sum := md5.Sum([]byte("12345" + q.Get("SignatureNonce") + testSecret + q.Get("Timestamp"))) //nolint:gosec // G401: ZEGO's signature is md5
	assert.Equal(t, hex.EncodeToString(sum[:]), q.Get("Signature"))
	assert.NotEqual(t, q.Get("SignatureNonce"), got[1].URL.Query().Get("SignatureNonce"), "a fresh nonce every call")
	assert.NotContains(t, r.URL.String(), testSecret)

	_, _ = c.Get(t.Context(), testSecret, Query{Action: ActionRegion, Region: "中国", Platform: "web", StartMs: 1000, EndMs: 2001})
	assert.Regexp(t, `^region=sgp&Action=GetRegionQualityDetail&Region=%E4%B8%AD%E5%9B%BD&Platform=web&StartTs=1000&EndTs=2001&AppId=12345&`, got[2].URL.RawQuery, "no Metrics[]")

	_, _ = c.Get(t.Context(), testSecret, Query{Action: ActionBizUsage, Metrics: []string{"publish_count"}, StartDate: "20261201", EndDate: "20261207"})
	assert.Regexp(t, `^region=sgp&Action=GetBizUsage&Metrics%5B%5D=publish_count&StartDate=20261201&EndDate=20261207&AppId=12345&`, got[3].URL.RawQuery, "days, not StartTs and EndTs")
}

func TestNewClientRefusesBadEndpoints(t *testing.T) {
	for _, endpoint := range []string{"", "analytics-api.zego.im", "ftp://zego.test", "https://"} {
		_, err := NewClient(http.DefaultClient, Config{Endpoint: endpoint})
		assert.Error(t, err, endpoint)
	}
}

func TestFailures(t *testing.T) {
	date := func(d time.Duration) http.Header {
		return http.Header{"Date": {time.Now().Add(d).UTC().Format(http.TimeFormat)}}
	}
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   ErrorKind
		text   string // the error's text contains it
	}{
		{"code inside an error status", 503, nil, `{"Code":30002,"Message":"limit"}`, KindRateLimited, `code 30002 "limit": HTTP 503`},
		{"unknown app id", 200, nil, `{"Code":100000010,"Message":"Failed to get ServerSecret"}`, KindBadCredentials, "ZEGO knows no such App ID; check app_id"},
		{"gateway page", 502, nil, "<html><body>502 Bad Gateway</body></html>", KindTransient, "HTTP 502: body: <html><body>502 Bad Gateway"},
		{"not found", 404, nil, "no such page", KindPermanent, "HTTP 404"},
		// A 401 or 403 without ZEGO's Code (a gateway's or a proxy's) refuses the credentials:
		// backed off as such, and retried at once when server_secret_file changes.
		{"unauthorized without a code", 401, nil, "Unauthorized", KindBadCredentials, "HTTP 401: body: Unauthorized; check app_id and server_secret"},
		{"forbidden without a code", 403, nil, "<html>403 Forbidden</html>", KindBadCredentials, "HTTP 403: body: <html>403 Forbidden</html>; check app_id and server_secret"},
		{"too many requests", 429, nil, "", KindRateLimited, "HTTP 429: body: (empty)"},
		{"empty success", 200, nil, "", KindTransient, "body: (empty): not ZEGO's answer"},
		{"over the cap", 200, nil, strings.Repeat(" ", MaxBodyBytes+1), KindTransient, "answer larger than 8388608 bytes"},
		{"clock behind", 200, date(11 * time.Minute), `{"Code":100000004}`, KindClockSkew, "it is about 11m0s behind ZEGO's server"},
		{"clock ahead", 200, date(-20 * time.Minute), `{"Code":100000004}`, KindClockSkew, "it is about 20m0s ahead of ZEGO's server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serve(t, tt.status, tt.header, tt.body).Get(t.Context(), testSecret, testQuery)
			var e *APIError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.kind, e.Kind)
			assert.Contains(t, err.Error(), tt.text)
			assert.True(t, strings.HasPrefix(err.Error(), "GetRealtimeQuality failed"), err.Error())
		})
	}
	t.Run("a Date within seconds names no skew", func(t *testing.T) {
		_, err := serve(t, 200, date(2*time.Second), `{"Code":100000004}`).Get(t.Context(), testSecret, testQuery)
		assert.NotContains(t, err.Error(), "ahead")
		assert.NotContains(t, err.Error(), "behind")
	})
}

// Whatever the server echoes and whatever the transport quotes, no error names the Signature.
func TestErrorsHideTheSignature(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(r.URL.RawQuery + " " + testSecret)) //nolint:gosec // G705: a test server that echoes the secret, to check it is redacted
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	sig := regexp.MustCompile(`Signature=[0-9a-f]{32}`)
	for _, url := range []string{echo.URL, closed.URL} {
		_, err := newTestClient(t, url, http.DefaultTransport).Get(t.Context(), testSecret, testQuery)
		require.Error(t, err)
		assert.NotRegexp(t, sig, err.Error())
		assert.NotContains(t, err.Error(), testSecret)
	}
}

// net/http resends a GET whose reused connection broke; ZEGO would meter both.
func TestNoHiddenRetryOnBrokenConnection(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if requests.Add(1) == 2 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		_, _ = w.Write([]byte(`{"Code":0,"Data":{"Metrics":[]}}`))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, srv.Client().Transport)
	_, err := c.Get(t.Context(), testSecret, testQuery)
	require.NoError(t, err)
	_, err = c.Get(t.Context(), testSecret, testQuery)
	require.Error(t, err)
	assert.Equal(t, int32(2), requests.Load(), "two calls, two requests")
}

func TestTimeoutAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c := newTestClient(t, srv.URL, srv.Client().Transport)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, testSecret, testQuery)
	kind, ok := KindOf(err)
	assert.True(t, ok && kind == KindTransient, "a timeout is a transient failure: %v", err)
	assert.Contains(t, err.Error(), "request timed out")

	ctx, cancel = context.WithCancel(t.Context())
	go cancel()
	_, err = c.Get(ctx, testSecret, testQuery)
	assert.ErrorIs(t, err, context.Canceled)
	_, ok = KindOf(err)
	assert.False(t, ok, "a canceled call did not fail")
}

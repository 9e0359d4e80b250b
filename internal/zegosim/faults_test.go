package zegosim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// live serves h's server on a loopback listener.
func live(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h.s)
	t.Cleanup(srv.Close)
	return srv
}

// noReuse is a client that never retries a request on a reused connection,
// so a fault is seen exactly once.
func noReuse() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func get(ctx context.Context, client *http.Client, base string, q url.Values) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/?"+q.Encode(), nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaultKinds(t *testing.T) {
	// check inspects the faulty answer; code is the Stats key it must count under.
	tests := []struct {
		kind  string
		dur   time.Duration
		code  int
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{FaultHTTP500HTML, 0, CodeHTTPFault, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
			assert.Contains(t, string(body), "<html>")
		}},
		{FaultTruncated, 0, CodeHTTPFault, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.True(t, strings.HasPrefix(string(body), `{"Code":0,"Message":"success","Data":{"Metrics":[`), "%.80s", body)
			assert.False(t, json.Valid(body))
		}},
		{FaultEmpty, 0, CodeHTTPFault, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Empty(t, body)
		}},
		{FaultMalformed, 0, CodeHTTPFault, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.NotEmpty(t, body)
			assert.False(t, json.Valid(body))
		}},
		{FaultReset, 0, CodeHTTPFault, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			assert.Error(t, err)
		}},
		{FaultSlow, 100 * time.Millisecond, CodeSuccess, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, CodeSuccess, decodeResp(t, body).Code)
		}},
		{FaultRateLimit, 0, CodeRateLimit, codeIs(CodeRateLimit)},
		{FaultCode500, 0, CodeInternal, codeIs(CodeInternal)},
		{FaultSignature, 0, CodeSignatureWrong, codeIs(CodeSignatureWrong)},
		{FaultClockSkew, 0, CodeSignatureExpired, codeIs(CodeSignatureExpired)},
		{FaultOversize, 0, CodeHTTPFault, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Greater(t, len(body), OversizeBytes)
			assert.EqualValues(t, len(body), resp.ContentLength)
			var r struct {
				Code    int
				Padding string
			}
			require.NoError(t, json.Unmarshal(body, &r), "the body is valid JSON")
			assert.Equal(t, CodeSuccess, r.Code)
			assert.Len(t, r.Padding, OversizeBytes)
		}},
	}
	require.ElementsMatch(t, FaultKinds(), func() []string {
		var k []string
		for _, tt := range tests {
			k = append(k, tt.kind)
		}
		return k
	}(), "every fault kind is tested")

	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			h := newHarness(t, Config{PerMinute: -1})
			srv := live(t, h)
			client := noReuse()
			window := []int64{ms(t0) - 600_000, ms(t0) - 590_000}
			h.s.InjectFault(Fault{Kind: tt.kind, Count: 1, Duration: tt.dur})

			began := time.Now()
			resp, body, err := get(context.Background(), client, srv.URL, h.example(window[0], window[1], MetricOnlineUser))
			tt.check(t, resp, body, err)
			if tt.kind == FaultSlow {
				assert.GreaterOrEqual(t, time.Since(began), tt.dur)
			}

			// The fault is used up: the next call is normal.
			resp, body, err = get(context.Background(), client, srv.URL, h.example(window[0], window[1], MetricOnlineUser))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			r := decodeResp(t, body)
			assert.Equal(t, CodeSuccess, r.Code)
			assert.Len(t, r.times(MetricOnlineUser), 11)

			st := h.s.Stats()[exampleApp]
			assert.Equal(t, 2, st.Calls)
			wantCodes := map[int]int{CodeSuccess: 1}
			wantCodes[tt.code]++
			assert.Equal(t, wantCodes, st.Codes)
			assert.Empty(t, h.s.Faults())
		})
	}
}

func codeIs(code int) func(t *testing.T, resp *http.Response, body []byte, err error) {
	return func(t *testing.T, resp *http.Response, body []byte, err error) {
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "ZEGO hides errors in a 200")
		r := decodeResp(t, body)
		assert.Equal(t, code, r.Code)
		assert.Nil(t, r.Data)
	}
}

func TestFaultSlowClientLeaves(t *testing.T) {
	lines := make(chan string, 10)
	h := newHarness(t, Config{Logf: func(format string, args ...any) { lines <- fmt.Sprintf(format, args...) }})
	srv := live(t, h)
	h.s.InjectFault(Fault{Kind: FaultSlow, Count: 1, Duration: time.Hour})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := get(ctx, noReuse(), srv.URL, h.example(0, 1, MetricOnlineUser))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	assert.Contains(t, <-lines, "waiting 1h0m0s")
	select {
	case line := <-lines: // the handler gave up waiting and logged
		assert.Contains(t, line, "client left")
	case <-time.After(10 * time.Second):
		t.Fatal("the slow handler did not notice the client leaving")
	}
	st := h.s.Stats()[exampleApp]
	assert.Equal(t, map[int]int{CodeHTTPFault: 1}, st.Codes)
}

func TestFaultResetHTTP2(t *testing.T) {
	h := newHarness(t, Config{})
	srv := httptest.NewUnstartedServer(h.s)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	h.s.InjectFault(Fault{Kind: FaultReset, Count: 1})
	_, _, err := get(context.Background(), srv.Client(), srv.URL, h.example(0, 1, MetricOnlineUser))
	require.Error(t, err)
	resp, body, err := get(context.Background(), srv.Client(), srv.URL, h.example(0, 1, MetricOnlineUser))
	require.NoError(t, err)
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, CodeSuccess, decodeResp(t, body).Code)
}

func TestFaultSelection(t *testing.T) {
	h := newHarness(t, Config{AnySecret: "any", PerMinute: -1})
	code := func(app uint32) int { return h.send(h.query(app, "any", 0, 1, MetricOnlineUser)).Code }

	t.Run("by AppID", func(t *testing.T) {
		h.s.InjectFault(Fault{Kind: FaultCode500, Count: 2, AppID: 2})
		assert.Equal(t, CodeSuccess, code(1))
		assert.Equal(t, CodeInternal, code(2))
		assert.Equal(t, CodeSuccess, code(1))
		assert.Equal(t, CodeInternal, code(2))
		assert.Equal(t, CodeSuccess, code(2), "count used up")
	})
	t.Run("oldest first", func(t *testing.T) {
		h.s.InjectFault(Fault{Kind: FaultCode500, Count: 1})
		h.s.InjectFault(Fault{Kind: FaultRateLimit, Count: 1})
		assert.Equal(t, []Fault{{Kind: FaultCode500, Count: 1}, {Kind: FaultRateLimit, Count: 1}}, h.s.Faults())
		assert.Equal(t, CodeInternal, code(1))
		assert.Equal(t, CodeRateLimit, code(1))
		assert.Equal(t, CodeSuccess, code(1))
	})
	t.Run("count 0 lasts until cleared", func(t *testing.T) {
		h.s.InjectFault(Fault{Kind: FaultSignature})
		for range 5 {
			assert.Equal(t, CodeSignatureWrong, code(1))
		}
		h.s.ClearFaults()
		assert.Equal(t, CodeSuccess, code(1))
	})
	t.Run("calls without an AppId meet only faults for every AppID", func(t *testing.T) {
		h.s.InjectFault(Fault{Kind: FaultCode500, Count: 1, AppID: 1})
		q := h.query(1, "any", 0, 1, MetricOnlineUser)
		q.Del("AppId")
		assert.Equal(t, CodeAppIDFormat, h.send(q).Code)
		assert.Equal(t, CodeInternal, code(1))
	})
}

func TestFaultAfterQuota(t *testing.T) {
	h := newHarness(t, Config{})
	for range 3 {
		require.Equal(t, CodeSuccess, h.send(h.example(0, 1, MetricOnlineUser)).Code)
	}
	// The fault takes precedence over the quota verdict, but the call is metered.
	h.s.InjectFault(Fault{Kind: FaultCode500, Count: 1})
	assert.Equal(t, CodeInternal, h.send(h.example(0, 1, MetricOnlineUser)).Code)
	assert.Equal(t, CodeRateLimit, h.send(h.example(0, 1, MetricOnlineUser)).Code)
	st := h.s.Stats()[exampleApp]
	assert.Equal(t, 5, st.Calls)
	assert.Equal(t, 5, st.MaxPerMinute)
}

func TestInvalidFaults(t *testing.T) {
	for _, f := range []Fault{
		{Kind: "nope"},
		{Kind: FaultCode500, Count: -1},
		{Kind: FaultSlow},
		{Kind: FaultSlow, Duration: -time.Second},
	} {
		assert.Error(t, f.Validate(), "%+v", f)
		assert.Panics(t, func() { New(Config{}).InjectFault(f) }, "%+v", f)
	}
	assert.NoError(t, Fault{Kind: FaultSlow, Duration: time.Second}.Validate())
}

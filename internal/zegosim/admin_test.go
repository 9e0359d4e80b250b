package zegosim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminEndpoints(t *testing.T) {
	h := newHarness(t, Config{AnySecret: "any", PerMinute: -1})
	srv := live(t, h)
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	status, body := do(http.MethodGet, "/healthz", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)

	// Bad faults are refused with 400 and queue nothing.
	for _, bad := range []string{
		`{"kind":"nope"}`,
		`{"kind":"slow","count":1}`,
		`{"kind":"slow","duration":"soon"}`,
		`{"kind":"code500","count":-1}`,
		`{"kind":"code500","appid":5}`,
		`not json`,
	} {
		status, body = do(http.MethodPost, "/admin/faults", bad)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", bad, body)
	}
	assert.Empty(t, h.s.Faults())

	status, body = do(http.MethodPost, "/admin/faults", `{"kind":"slow","count":2,"duration":"5s","app_id":7}`)
	require.Equal(t, http.StatusCreated, status, body)
	status, body = do(http.MethodPost, "/admin/faults", `{"kind":"code500","count":1}`)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, []Fault{
		{Kind: FaultSlow, Count: 2, Duration: 5 * time.Second, AppID: 7},
		{Kind: FaultCode500, Count: 1},
	}, h.s.Faults())

	status, body = do(http.MethodGet, "/admin/faults", "")
	require.Equal(t, http.StatusOK, status)
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &listed))
	assert.Equal(t, []map[string]any{
		{"kind": "slow", "count": 2.0, "duration": "5s", "app_id": 7.0},
		{"kind": "code500", "count": 1.0, "app_id": 0.0},
	}, listed)

	// The code500 fault hits AppID 1 (the slow one is for AppID 7 only).
	assert.Equal(t, CodeInternal, h.send(h.query(1, "any", 0, 1, MetricOnlineUser)).Code)
	assert.Equal(t, CodeSuccess, h.send(h.query(1, "any", 0, 1, MetricOnlineUser)).Code)

	status, _ = do(http.MethodDelete, "/admin/faults", "")
	assert.Equal(t, http.StatusNoContent, status)
	assert.Empty(t, h.s.Faults())

	status, body = do(http.MethodGet, "/admin/stats", "")
	require.Equal(t, http.StatusOK, status)
	var stats map[string]AppStats
	require.NoError(t, json.Unmarshal([]byte(body), &stats))
	assert.Equal(t, map[string]AppStats{"1": {
		Calls: 2, MaxPerMinute: 2, MaxPerDay: 2, Codes: map[int]int{CodeInternal: 1, CodeSuccess: 1},
	}}, stats)
	assert.Contains(t, body, `"max_per_minute"`)

	for _, c := range []struct{ method, path string }{
		{http.MethodPut, "/admin/faults"},
		{http.MethodPost, "/admin/stats"},
	} {
		status, _ = do(c.method, c.path, "")
		assert.Equal(t, http.StatusMethodNotAllowed, status, c)
	}
}

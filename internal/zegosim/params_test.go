package zegosim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParameterErrors(t *testing.T) {
	end := ms(t0.Add(-5 * time.Minute))
	start := end - 10_000
	tests := []struct {
		name     string
		mutate   func(url.Values)
		wantCode int
	}{
		{"valid", func(url.Values) {}, CodeSuccess},
		{"IsTest true", func(q url.Values) { q.Set("IsTest", "true") }, CodeSuccess},
		{"unknown extra parameter ignored", func(q url.Values) { q.Set("Foo", "bar") }, CodeSuccess},
		{"repeated metric answered", func(q url.Values) { q.Add("Metrics[]", MetricOnlineUser) }, CodeSuccess},

		{"Action missing", func(q url.Values) { q.Del("Action") }, CodeActionEmpty},
		{"Action other", func(q url.Values) { q.Set("Action", "GetBizUsage") }, CodeActionUnsupported},
		{"AppId missing", func(q url.Values) { q.Del("AppId") }, CodeAppIDFormat},
		{"AppId not a number", func(q url.Values) { q.Set("AppId", "abc") }, CodeAppIDFormat},
		{"AppId over uint32", func(q url.Values) { q.Set("AppId", "4294967296") }, CodeAppIDFormat},
		{"AppId negative", func(q url.Values) { q.Set("AppId", "-1") }, CodeAppIDFormat},
		{"SignatureNonce missing", func(q url.Values) { q.Del("SignatureNonce") }, CodeNonceEmpty},
		{"Timestamp missing", func(q url.Values) { q.Del("Timestamp") }, CodeTimestampEmpty},
		{"Timestamp not an integer", func(q url.Values) { q.Set("Timestamp", "1.7e9") }, CodeTimestampFormat},
		{"SignatureVersion missing", func(q url.Values) { q.Del("SignatureVersion") }, CodeSigVersionEmpty},
		{"SignatureVersion 1.0", func(q url.Values) { q.Set("SignatureVersion", "1.0") }, CodeSigVersionUnsupported},
		{"Signature missing", func(q url.Values) { q.Del("Signature") }, CodeSignatureEmpty},
		{"IsTest yes", func(q url.Values) { q.Set("IsTest", "yes") }, CodeBadValue},
		{"IsTest empty", func(q url.Values) { q.Set("IsTest", "") }, CodeBadValue},
		{"Timestamp twice", func(q url.Values) { q.Add("Timestamp", q.Get("Timestamp")) }, CodeBadFormat},

		{"Metrics[] missing", func(q url.Values) { q.Del("Metrics[]") }, CodeBadFormat},
		{"Metrics without brackets", func(q url.Values) { q["Metrics"] = q["Metrics[]"]; q.Del("Metrics[]") }, CodeBadFormat},
		{"unknown metric", func(q url.Values) { q.Add("Metrics[]", "cpu") }, CodeBadValue},
		{"empty metric", func(q url.Values) { q.Add("Metrics[]", "") }, CodeBadValue},
		{"StartTs missing", func(q url.Values) { q.Del("StartTs") }, CodeBadFormat},
		{"EndTs missing", func(q url.Values) { q.Del("EndTs") }, CodeBadFormat},
		{"StartTs twice", func(q url.Values) { q.Add("StartTs", "0") }, CodeBadFormat},
		{"StartTs not numeric", func(q url.Values) { q.Set("StartTs", "yesterday") }, CodeBadValue},
		{"EndTs a float", func(q url.Values) { q.Set("EndTs", "1.5") }, CodeBadValue},
		{"EndTs negative", func(q url.Values) { q.Set("EndTs", "-5") }, CodeBadValue},
		{"StartTs after EndTs", func(q url.Values) { q.Set("StartTs", itoa(end+1)) }, CodeBadValue},
		{"StartTs after now with EndTs 0", func(q url.Values) { q.Set("StartTs", itoa(ms(t0)+1)); q.Set("EndTs", "0") }, CodeBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			q := h.example(start, end, MetricOnlineUser)
			tt.mutate(q)
			r := h.send(q)
			assert.Equal(t, tt.wantCode, r.Code, r.Message)
			assert.NotEmpty(t, r.Message)
			if tt.wantCode == CodeSuccess {
				require.NotNil(t, r.Data)
				assert.Len(t, r.Data.Metrics, 1, "a repeated metric is answered once")
			} else {
				assert.Nil(t, r.Data, "tidy errors carry no Data")
			}
		})
	}
}

func TestEndTsZeroMeansNow(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.send(h.example(ms(t0.Add(-10*time.Minute)), 0, MetricOnlineUser))
	require.Equal(t, CodeSuccess, r.Code)
	times := r.times(MetricOnlineUser)
	require.NotEmpty(t, times)
	assert.Equal(t, ms(t0.Add(-DefaultDelay)), times[len(times)-1])
}

func TestRouting(t *testing.T) {
	s := New(Config{Apps: map[uint32]string{1: "s"}})
	tests := []struct {
		method, target string
		want           int
	}{
		{http.MethodPut, "/?Action=GetRealtimeUsage", http.StatusMethodNotAllowed},
		{http.MethodPost, "/?Action=GetRealtimeUsage", http.StatusOK}, // answered, with a code
		{http.MethodGet, "/v1/other", http.StatusNotFound},
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodGet, "/admin/nothing", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			assert.Equal(t, tt.want, rec.Code)
		})
	}
}

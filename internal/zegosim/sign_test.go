package zegosim

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignWorkedExample(t *testing.T) {
	assert.Equal(t, exampleSignature, Sign(exampleApp, exampleNonce, exampleSecret, exampleTimestamp))
	assert.Equal(t, exampleSignature, signText("12345", exampleNonce, exampleSecret, "1615186943"))
}

// TestSignatureCheck replays ZEGO's worked example against a server whose
// clock reads the example's Timestamp, then breaks it one way at a time.
func TestSignatureCheck(t *testing.T) {
	exampleTime := time.Unix(exampleTimestamp, 0)
	base := func() url.Values {
		q := url.Values{
			"Action":           {"GetRealtimeUsage"},
			"AppId":            {"12345"},
			"SignatureNonce":   {exampleNonce},
			"Timestamp":        {"1615186943"},
			"SignatureVersion": {"2.0"},
			"Signature":        {exampleSignature},
			"Metrics[]":        {MetricOnlineUser},
			"StartTs":          {"0"},
			"EndTs":            {"0"},
		}
		return q
	}
	tests := []struct {
		name     string
		cfg      Config
		mutate   func(url.Values)
		wantCode int
	}{
		{name: "worked example accepted", wantCode: CodeSuccess},
		{name: "IsTest false accepted", mutate: func(q url.Values) { q.Set("IsTest", "false") }, wantCode: CodeSuccess},
		{name: "wrong secret", cfg: Config{Apps: map[uint32]string{exampleApp: "0123456789abcdef0123456789abcdef"}}, wantCode: CodeSignatureWrong},
		{name: "uppercase signature", mutate: func(q url.Values) { q.Set("Signature", strings.ToUpper(exampleSignature)) }, wantCode: CodeSignatureWrong},
		{name: "other nonce", mutate: func(q url.Values) { q.Set("SignatureNonce", "4fd24687296dd9f4") }, wantCode: CodeSignatureWrong},
		{name: "other timestamp", mutate: func(q url.Values) { q.Set("Timestamp", "1615186944") }, wantCode: CodeSignatureWrong},
		{name: "unknown AppID", cfg: Config{Apps: map[uint32]string{54321: exampleSecret}}, wantCode: CodeNoServerSecret},
		{name: "AnySecret accepts an unlisted AppID", cfg: Config{Apps: map[uint32]string{54321: "x"}, AnySecret: exampleSecret}, wantCode: CodeSuccess},
		{name: "Apps wins over AnySecret", cfg: Config{Apps: map[uint32]string{exampleApp: "x"}, AnySecret: exampleSecret}, wantCode: CodeSignatureWrong},
		{name: "non-canonical AppId", mutate: func(q url.Values) { q.Set("AppId", "012345") }, wantCode: CodeAppIDFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			h.clock.Set(exampleTime)
			q := base()
			if tt.mutate != nil {
				tt.mutate(q)
			}
			r := h.send(q)
			assert.Equal(t, tt.wantCode, r.Code, r.Message)
		})
	}
}

func TestTimestampWindow(t *testing.T) {
	tests := []struct {
		name        string
		clientSkew  time.Duration // client clock minus true time
		clockOffset time.Duration // server clock minus true time
		wantCode    int
	}{
		{"in step", 0, 0, CodeSuccess},
		{"client 10m behind", -10 * time.Minute, 0, CodeSuccess},
		{"client 10m ahead", 10 * time.Minute, 0, CodeSuccess},
		{"client 10m1s behind", -10*time.Minute - time.Second, 0, CodeSignatureExpired},
		{"client 10m1s ahead", 10*time.Minute + time.Second, 0, CodeSignatureExpired},
		{"server 11m ahead", 0, 11 * time.Minute, CodeSignatureExpired},
		{"server 11m behind", 0, -11 * time.Minute, CodeSignatureExpired},
		{"both 11m ahead", 11 * time.Minute, 11 * time.Minute, CodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{ClockOffset: tt.clockOffset})
			q := signed(exampleApp, exampleSecret, freshNonce(), h.clock.Now().Add(tt.clientSkew))
			q.Set("Metrics[]", MetricOnlineUser)
			q.Set("StartTs", "0")
			q.Set("EndTs", "0")
			r := h.send(q)
			assert.Equal(t, tt.wantCode, r.Code, r.Message)
		})
	}

	t.Run("milliseconds instead of seconds", func(t *testing.T) {
		h := newHarness(t, Config{})
		nonce := freshNonce()
		tsMs := ms(h.clock.Now())
		q := signed(exampleApp, exampleSecret, nonce, h.clock.Now())
		q.Set("Timestamp", itoa(tsMs))
		q.Set("Signature", Sign(exampleApp, nonce, exampleSecret, tsMs))
		q.Set("Metrics[]", MetricOnlineUser)
		q.Set("StartTs", "0")
		q.Set("EndTs", "0")
		assert.Equal(t, CodeSignatureExpired, h.send(q).Code)
	})
}

func TestNonceReuse(t *testing.T) {
	h := newHarness(t, Config{Apps: map[uint32]string{exampleApp: exampleSecret, 777: "other"}, PerMinute: -1, PerDay: -1})
	call := func(app uint32, secret, nonce string) apiResp {
		q := signed(app, secret, nonce, h.clock.Now())
		q.Set("Metrics[]", MetricOnlineUser)
		q.Set("StartTs", "0")
		q.Set("EndTs", "0")
		return h.send(q)
	}
	nonce := freshNonce()

	// A forged call must not burn the nonce.
	require.Equal(t, CodeSignatureWrong, call(exampleApp, "not-the-secret", nonce).Code)
	require.Equal(t, CodeSuccess, call(exampleApp, exampleSecret, nonce).Code)

	r := call(exampleApp, exampleSecret, nonce)
	require.Equal(t, CodeSignatureWrong, r.Code)
	assert.Contains(t, r.Message, "reused")

	// Nonces are per AppID.
	assert.Equal(t, CodeSuccess, call(777, "other", nonce).Code)

	// Still remembered just before 10 minutes, forgotten at 10 minutes.
	h.clock.Advance(10*time.Minute - time.Millisecond)
	assert.Equal(t, CodeSignatureWrong, call(exampleApp, exampleSecret, nonce).Code)
	h.clock.Advance(time.Millisecond)
	assert.Equal(t, CodeSuccess, call(exampleApp, exampleSecret, nonce).Code)
}

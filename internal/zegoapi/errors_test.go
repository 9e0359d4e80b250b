package zegoapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestErrorKindString(t *testing.T) {
	for kind, want := range map[ErrorKind]string{
		KindTransient:      "transient",
		KindRateLimited:    "rate_limited",
		KindPermanent:      "permanent",
		KindBadCredentials: "bad_credentials",
		KindClockSkew:      "clock_skew",
		ErrorKind(42):      "ErrorKind(42)",
	} {
		assert.Equal(t, want, kind.String())
	}
}

func TestKindForCode(t *testing.T) {
	for code, want := range map[int64]ErrorKind{
		500:       KindTransient,
		10001:     KindPermanent,
		10002:     KindPermanent,
		30002:     KindRateLimited,
		100000004: KindClockSkew,
		100000005: KindBadCredentials,
		-1:        KindTransient,
		99999:     KindTransient,
	} {
		assert.Equal(t, want, kindForCode(code), "code %d", code)
	}
}

func TestKindForStatus(t *testing.T) {
	for status, want := range map[int]ErrorKind{
		400: KindPermanent, 401: KindPermanent, 403: KindPermanent, 404: KindPermanent, 499: KindPermanent,
		429: KindRateLimited,
		500: KindTransient, 502: KindTransient, 503: KindTransient, 504: KindTransient,
		304: KindTransient,
	} {
		assert.Equal(t, want, kindForStatus(status), "status %d", status)
	}
}

func TestKindOf(t *testing.T) {
	apiErr := &APIError{Kind: KindClockSkew, Code: CodeSignatureExpired}
	tests := []struct {
		name   string
		err    error
		want   ErrorKind
		wantOK bool
	}{
		{"direct", apiErr, KindClockSkew, true},
		{"wrapped", fmt.Errorf("scrape: %w", apiErr), KindClockSkew, true},
		{"joined", errors.Join(errors.New("other"), apiErr), KindClockSkew, true},
		{"nil", nil, 0, false},
		{"canceled", context.Canceled, 0, false},
		{"plain", errors.New("x"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, ok := KindOf(tt.err)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, kind)
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	cause := errors.New("dial tcp: connection refused\nsecond line")
	tests := []struct {
		name string
		err  *APIError
		want []string
	}{
		{"code with message and id", &APIError{Kind: KindBadCredentials, Code: 100000005, Message: "signature error", RequestID: "r5", HTTPStatus: 200},
			[]string{"(bad_credentials)", `code 100000005 "signature error"`, "HTTP 200", "request id r5", "check app_id and server_secret"}},
		{"network", &APIError{Kind: KindTransient, Err: cause, detail: "request failed"},
			[]string{"(transient)", "request failed", "connection refused second line", "retry later"}},
		{"rate limited status", &APIError{Kind: KindRateLimited, HTTPStatus: 429},
			[]string{"(rate_limited)", "HTTP 429", "poll less often"}},
		{"permanent", &APIError{Kind: KindPermanent, Code: 10002, Message: "bad\tStartTs"},
			[]string{"(permanent)", `code 10002 "bad\tStartTs"`, "will not help"}},
		{"clock skew without Date", &APIError{Kind: KindClockSkew, Code: 100000004},
			[]string{"(clock_skew)", "the local clock is more than 10 minutes off", "NTP"}},
		{"clock skew with Date", &APIError{Kind: KindClockSkew, Code: 100000004,
			ServerTime: time.Unix(1000, 0), sentTime: time.Unix(1000+11*60, 0)},
			[]string{"it is 11m0s ahead of ZEGO's server"}},
		{"code 500", &APIError{Kind: KindTransient, Code: 500}, []string{"ZEGO server error"}},
		{"unknown code", &APIError{Kind: KindTransient, Code: 7}, []string{"unknown ZEGO return code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			assert.True(t, strings.HasPrefix(msg, "zegoapi: GetRealtimeUsage failed"), msg)
			assert.NotContains(t, msg, "\n")
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
		})
	}
	assert.ErrorIs(t, &APIError{Err: context.DeadlineExceeded}, context.DeadlineExceeded)
}

func TestSnippet(t *testing.T) {
	r := redactor{"0123456789abcdef", "s3cr3t"}
	tests := []struct {
		name string
		body string
		want string
	}{
		{"control chars and spaces collapse", "<html>\r\n  <b>x</b>\x00\t</html>", "<html> <b>x</b> </html>"},
		{"secrets replaced", "sig=0123456789abcdef key=s3cr3t", "sig=REDACTED key=REDACTED"},
		{"long body cut", strings.Repeat("a", 250), strings.Repeat("a", 200) + "..."},
		{"secret cut at the end dropped", strings.Repeat("a", 190) + "0123456789abcdef", strings.Repeat("a", 190) + "..."},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, r.snippet([]byte(tt.body)))
		})
	}
}

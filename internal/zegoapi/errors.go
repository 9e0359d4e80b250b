// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorKind says what a failure calls for; the receiver decides backoff from it.
type ErrorKind int

const (
	KindTransient      ErrorKind = iota // try again at the next poll: 5xx, network, timeout, a body that is not ZEGO's answer
	KindRateLimited                     // over the quota (30002, HTTP 429)
	KindPermanent                       // the request or the config is wrong; repeating it cannot help
	KindBadCredentials                  // ZEGO does not accept app_id/server_secret
	KindClockSkew                       // the local clock is more than 10 minutes off ZEGO's
)

// String is the kind's name, used as the outcome attribute of the receiver's telemetry.
func (k ErrorKind) String() string {
	switch k {
	case KindRateLimited:
		return "rate_limited"
	case KindPermanent:
		return "permanent"
	case KindBadCredentials:
		return "bad_credentials"
	case KindClockSkew:
		return "clock_skew"
	}
	return "transient"
}

// codeInfo is what a ZEGO return code means and which setting to check.
// CodeBadValue is ZEGO's "invalid parameter value". A daily interface answers it, too, to a
// range longer than the App's plan keeps (an undocumented code: the simulator's choice).
const CodeBadValue = 10002

type codeInfo struct {
	kind    ErrorKind
	check   string // the config key to check, "" when none helps
	meaning string
}

// codes covers the return codes in docs/zego-api.md. Codes that only a bug of
// ours can cause are permanent: repeating the same request cannot fix them. An unknown code
// is transient, the safe default when we cannot tell.
var codes = map[int64]codeInfo{
	500:       {KindTransient, "", "ZEGO server error"},
	10001:     {KindPermanent, "", "malformed parameter: ZEGO's Message names it"},
	10002:     {KindPermanent, "", "invalid parameter value: ZEGO's Message names it"},
	30002:     {KindRateLimited, "quota", "call rate over the App ID's quota, which everything using the App ID shares"},
	100000000: {KindPermanent, "endpoint", "wrong Host in the request"},
	100000001: {KindBadCredentials, "app_id", "AppId format invalid"},
	100000002: {KindPermanent, "", "Timestamp missing (a bug: please report it)"},
	100000003: {KindPermanent, "", "Timestamp malformed (a bug: please report it)"},
	100000004: {KindClockSkew, "", "signature expired: the local clock is more than 10 minutes off ZEGO's; synchronize it (NTP)"},
	100000005: {KindBadCredentials, "app_id and server_secret", "signature invalid: they must be the pair shown in the ZEGO console"},
	100000006: {KindPermanent, "", "Action missing (a bug: please report it)"},
	100000007: {KindPermanent, "metrics", "Action unsupported: the App may lack this interface; disable its metrics or ask ZEGO"},
	100000008: {KindPermanent, "", "SignatureNonce missing (a bug: please report it)"},
	100000009: {KindPermanent, "", "Signature missing (a bug: please report it)"},
	100000010: {KindBadCredentials, "app_id", "failed to get the ServerSecret: ZEGO knows no such App ID"},
	100000011: {KindPermanent, "", "failed to get the App configuration: the App is not set up for this; contact ZEGO"},
	100000012: {KindTransient, "", "gateway failed to get the request body"},
	100000013: {KindPermanent, "", "SignatureVersion missing (a bug: please report it)"},
	100000014: {KindPermanent, "", "SignatureVersion unsupported (a bug: please report it)"},
	100000015: {KindTransient, "", "API gateway internal error"},
	100000016: {KindPermanent, "is_test", "the App has no production environment: projects created on or before 2021-11-16 need is_test"},
}

func infoForCode(code int64) codeInfo {
	if info, ok := codes[code]; ok {
		return info
	}
	return codeInfo{KindTransient, "", "unknown ZEGO return code, treated as temporary"}
}

// statusInfo is what an HTTP status that came without ZEGO's Code means: a 401 or 403 (from
// ZEGO's gateway or a proxy) refuses the credentials, which a rotated secret can fix.
func statusInfo(status int) (ErrorKind, string) {
	switch {
	case status == 429:
		return KindRateLimited, ""
	case status == 401 || status == 403:
		return KindBadCredentials, "app_id and server_secret"
	case status >= 400 && status < 500:
		return KindPermanent, ""
	}
	return KindTransient, ""
}

// APIError is a failed call. Its text never holds the ServerSecret or the request's Signature.
type APIError struct {
	Action     Action
	Kind       ErrorKind
	Code       int64  // ZEGO's return code; 0 when the failure was below the API
	Message    string // ZEGO's Message, when there was one
	RequestID  string
	HTTPStatus int    // 0 when there was no HTTP answer
	Check      string // the config key to check, "" when none helps
	Err        error  // the underlying cause, if any

	detail     string    // what failed, in words
	serverTime time.Time // the answer's Date header, to measure clock skew
	sentTime   time.Time // the Timestamp the request was signed with
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed", e.Action)
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
		if e.Message != "" {
			fmt.Fprintf(&b, " %q", e.Message)
		}
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, ": request id %s", e.RequestID)
	}
	for _, s := range []string{e.detail, e.skew()} {
		if s != "" {
			b.WriteString(": " + s)
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Check != "" {
		b.WriteString("; check " + e.Check)
	}
	return strings.Map(func(r rune) rune { // one log line, whatever the server sent
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, b.String())
}

func (e *APIError) Unwrap() error { return e.Err }

// skew names the clock difference the answer's Date header shows, for a clock-skew error.
// Under half a minute it says nothing: the header has second resolution and transit takes time.
func (e *APIError) skew() string {
	if e.Kind != KindClockSkew || e.serverTime.IsZero() {
		return ""
	}
	d := e.sentTime.Sub(e.serverTime).Round(time.Minute)
	switch {
	case d > 0:
		return fmt.Sprintf("it is about %s ahead of ZEGO's server", d)
	case d < 0:
		return fmt.Sprintf("it is about %s behind ZEGO's server", -d)
	}
	return ""
}

// KindOf returns the kind of an *APIError in err's chain; false for anything else (a canceled call).
func KindOf(err error) (ErrorKind, bool) {
	var e *APIError
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

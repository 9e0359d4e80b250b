package zegoapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrorKind says what a failure calls for; the scraper decides retries and backoff from it.
type ErrorKind int

const (
	KindTransient      ErrorKind = iota // Code 500, HTTP 5xx, network error, timeout, empty/truncated/non-JSON/HTML body, body over the cap, unknown Code
	KindRateLimited                     // Code 30002, or HTTP 429
	KindPermanent                       // Code 10001, 10002, HTTP 4xx other than 429
	KindBadCredentials                  // Code 100000005: "check app_id and server_secret"
	KindClockSkew                       // Code 100000004: "the local clock is more than 10 minutes off"
)

// ZEGO return codes.
const (
	CodeOK                = 0
	CodeServerError       = 500
	CodeMalformedParam    = 10001
	CodeInvalidParam      = 10002
	CodeRateLimited       = 30002
	CodeSignatureExpired  = 100000004
	CodeSignatureMismatch = 100000005
)

// String returns the kind's name, used as a telemetry attribute value.
func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate_limited"
	case KindPermanent:
		return "permanent"
	case KindBadCredentials:
		return "bad_credentials"
	case KindClockSkew:
		return "clock_skew"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// kindForCode classifies a non-zero ZEGO return code. Unknown codes count as transient: retrying
// later is the safe default when we cannot tell.
func kindForCode(code int64) ErrorKind {
	switch code {
	case CodeRateLimited:
		return KindRateLimited
	case CodeMalformedParam, CodeInvalidParam:
		return KindPermanent
	case CodeSignatureMismatch:
		return KindBadCredentials
	case CodeSignatureExpired:
		return KindClockSkew
	}
	return KindTransient
}

// kindForStatus classifies a non-2xx HTTP status that carried no ZEGO code.
func kindForStatus(status int) ErrorKind {
	switch {
	case status == 429:
		return KindRateLimited
	case status >= 400 && status < 500:
		return KindPermanent
	}
	return KindTransient // 5xx, and statuses the client should never see (1xx, unfollowed 3xx)
}

// APIError is a failed GetRealtimeUsage call. Its text never holds the ServerSecret or the
// request's Signature.
type APIError struct {
	Kind       ErrorKind
	Code       int64  // ZEGO return code; 0 when the failure was below the API (HTTP status, network, body)
	Message    string // ZEGO's Message, when there was one
	RequestID  string
	HTTPStatus int       // 0 when no HTTP answer
	ServerTime time.Time // from the answer's Date header when present (zero otherwise)
	Err        error     // underlying cause, if any

	detail   string    // what failed below the API, e.g. the start of an HTML error page
	sentTime time.Time // the Timestamp the request was signed with, to measure clock skew
}

// Error returns one line: what failed, the code/status/message/request id, and what to do.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("zegoapi: GetRealtimeUsage failed (")
	b.WriteString(e.Kind.String())
	b.WriteString(")")
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
		if e.Message != "" {
			fmt.Fprintf(&b, " %q", e.Message)
		}
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code == 0 && e.Message != "" {
		fmt.Fprintf(&b, ": message %q", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, ": request id %s", e.RequestID)
	}
	if e.detail != "" {
		b.WriteString(": ")
		b.WriteString(e.detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString("; ")
	b.WriteString(e.advice())
	return oneLine(b.String())
}

// minReportedSkew is the smallest clock difference, measured from the answer's Date header,
// that a clock-skew error names.
const minReportedSkew = time.Minute

func (e *APIError) advice() string {
	switch e.Kind {
	case KindRateLimited:
		return "over ZEGO's call quota for this AppID (by default 3 calls a minute, 480 a day, shared by everything using the AppID); poll less often"
	case KindPermanent:
		if e.Code == 0 && e.HTTPStatus == 0 { // refused before sending
			return "fix the configuration (retrying will not help)"
		}
		return "the request was rejected; check the configured endpoint, metrics and time window (retrying the same request will not help)"
	case KindBadCredentials:
		return "check app_id and server_secret"
	case KindClockSkew:
		msg := "the local clock is more than 10 minutes off"
		if !e.ServerTime.IsZero() && !e.sentTime.IsZero() {
			skew := e.sentTime.Sub(e.ServerTime).Round(time.Second)
			switch {
			case skew.Abs() < minReportedSkew:
				// A Date header within seconds of the local clock says nothing about
				// the skew ZEGO saw (second resolution, transit time); naming it would
				// contradict the verdict above.
			case skew > 0:
				msg += fmt.Sprintf(" (it is %s ahead of ZEGO's server)", skew)
			case skew < 0:
				msg += fmt.Sprintf(" (it is %s behind ZEGO's server)", -skew)
			}
		}
		return msg + "; synchronise it (NTP)"
	}
	if e.Code == CodeServerError {
		return "ZEGO server error; will work again later (contact ZEGO support if it persists)"
	}
	if e.Code != 0 {
		return "unknown ZEGO return code, treated as temporary"
	}
	return "temporary; retry later"
}

// Unwrap returns the underlying cause.
func (e *APIError) Unwrap() error { return e.Err }

// KindOf returns the kind of an *APIError anywhere in err's chain, and false for anything else
// (e.g. context.Canceled).
func KindOf(err error) (ErrorKind, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Kind, true
	}
	return 0, false
}

// oneLine keeps log lines whole: any control character becomes a space.
func oneLine(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// redactor removes the values that must never be shown (the ServerSecret and the Signature)
// from text that may echo the request, such as *url.Error or a server's error page.
type redactor []string

const redacted = "REDACTED"

func (r redactor) string(s string) string {
	for _, secret := range r {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return s
}

// snippet is the start of a body, made printable and redacted, so that an HTML error page can
// be recognised in a log line.
func (r redactor) snippet(body []byte) string {
	const maxSnippet = 200
	cut := body
	if len(cut) > maxSnippet {
		cut = cut[:maxSnippet]
	}
	s := strings.ToValidUTF8(string(cut), "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return isControl(r) || r == ' ' }), " ")
	s = r.string(s)
	// A secret cut off at the end would survive the replacement above; drop its start too.
	for _, secret := range r {
		for k := min(len(secret)-1, len(s)); k > 0; k-- {
			if strings.HasSuffix(s, secret[:k]) {
				s = s[:len(s)-k]
				break
			}
		}
	}
	if len(body) > maxSnippet {
		s += "..."
	}
	return s
}

// redactedError carries a cause whose text had to be redacted; errors.Is/As still see the cause.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// err returns err with the secrets removed from its text. A *url.Error (which quotes the whole
// request URL) is rewritten rather than wrapped, so that no error reachable through Unwrap or
// errors.As prints the Signature either.
func (r redactor) err(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		clean := *ue
		clean.URL = r.string(ue.URL)
		clean.Err = r.err(ue.Err)
		err = &clean
	}
	msg := err.Error()
	if clean := r.string(msg); clean != msg {
		return &redactedError{msg: clean, cause: err}
	}
	return err
}

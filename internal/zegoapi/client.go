// Package zegoapi calls ZEGO's analytics API GetRealtimeUsage: it signs requests, classifies
// failures by what they call for, and decodes answers with a fast, tolerant scanner.
package zegoapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// API metric names, as the API spells them.
const (
	MetricPublishConcurrent = "publish_concurrent"
	MetricPlayConcurrent    = "play_concurrent"
	MetricRoomConcurrent    = "room_concurrent"
	MetricOnlineUser        = "online_user"
	MetricMaxRoomUser       = "max_room_user"
	MetricMixConcurrent     = "mix_concurrent"
)

// AllMetrics lists every metric GetRealtimeUsage serves; one call may ask for all of them.
var AllMetrics = []string{
	MetricPublishConcurrent,
	MetricPlayConcurrent,
	MetricRoomConcurrent,
	MetricOnlineUser,
	MetricMaxRoomUser,
	MetricMixConcurrent,
}

// DefaultMaxBodyBytes caps how much of an answer is read.
const DefaultMaxBodyBytes = 8 << 20 // a maximal 2h x 6 metrics answer is ~1.8 MB

// DefaultEndpoint routes to ZEGO's nearest region; used when Config.Endpoint is empty.
const DefaultEndpoint = "https://analytics-api.zego.im"

// Config holds what every request needs.
type Config struct {
	Endpoint     string // base URL, e.g. "https://analytics-api.zego.im" or "http://127.0.0.1:9999"; any path in it is kept (empty path → "/")
	AppID        uint32
	ServerSecret string
	IsTest       *bool // nil: IsTest not sent; otherwise sent as "true"/"false"
	MaxBodyBytes int64 // 0 → DefaultMaxBodyBytes
}

// Option changes a Client; for tests.
type Option func(*Client)

// WithClock sets the clock for the Timestamp parameter; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// WithNonceReader sets the randomness for SignatureNonce; default crypto/rand.Reader.
func WithNonceReader(r io.Reader) Option {
	return func(c *Client) { c.nonceReader = r }
}

// Client calls GetRealtimeUsage. It is safe for concurrent use.
type Client struct {
	httpClient  *http.Client
	appID       uint32
	secret      string
	isTest      *bool
	endpoint    *url.URL
	endpointErr error
	maxBody     int64
	now         func() time.Time

	nonceMu     sync.Mutex // the configured reader need not be safe for concurrent use
	nonceReader io.Reader

	bodies sync.Pool // *bytes.Buffer: answers reach ~1.8 MB, so their buffers are reused
}

// NewClient returns a client; a nil httpClient means a default one (timeouts then come from the
// caller's context). An invalid Endpoint is reported by every call as a KindPermanent error.
func NewClient(httpClient *http.Client, cfg Config, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	c := &Client{
		httpClient:  httpClient,
		appID:       cfg.AppID,
		secret:      cfg.ServerSecret,
		maxBody:     cfg.MaxBodyBytes,
		now:         time.Now,
		nonceReader: rand.Reader,
	}
	if cfg.IsTest != nil {
		v := *cfg.IsTest // copied so later changes to the caller's bool do not leak in
		c.isTest = &v
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	c.endpoint, c.endpointErr = parseEndpoint(cfg.Endpoint)
	for _, opt := range opts {
		opt(c)
	}
	return c
}

func parseEndpoint(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("invalid Endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid Endpoint %q: the scheme must be http or https", endpoint)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid Endpoint %q: no host", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// Query is what to ask for.
type Query struct {
	Metrics []string // API names; one Metrics[] parameter each, in this order
	StartMs int64    // StartTs, UTC ms
	EndMs   int64    // EndTs, UTC ms
}

// GetRealtimeUsage calls the API once. Errors are *APIError (see KindOf), except that a call
// canceled by ctx returns an error for which errors.Is(err, context.Canceled) holds.
func (c *Client) GetRealtimeUsage(ctx context.Context, q Query) (*Answer, error) {
	a := &Answer{}
	if err := c.GetRealtimeUsageInto(ctx, q, a); err != nil {
		return nil, err
	}
	return a, nil
}

// GetRealtimeUsageInto is GetRealtimeUsage decoding into a, reusing its slices (see
// DecodeInto). On error a's contents are unspecified.
func (c *Client) GetRealtimeUsageInto(ctx context.Context, q Query, a *Answer) error {
	if c.endpointErr != nil {
		return &APIError{Kind: KindPermanent, Err: c.endpointErr}
	}
	if len(q.Metrics) == 0 {
		// ZEGO would answer 10001; asking costs a call from the quota.
		return &APIError{Kind: KindPermanent, detail: "no metrics requested"}
	}
	nonce, err := c.newNonce()
	if err != nil {
		return &APIError{Kind: KindTransient, Err: err}
	}
	sent := c.now()
	sig := signature(c.appID, nonce, c.secret, sent.Unix())
	red := redactor{sig, c.secret}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.requestURL(q, nonce, sent.Unix(), sig), nil)
	if err != nil {
		return &APIError{Kind: KindPermanent, detail: "building the request", Err: red.err(err)}
	}
	req.Header.Set("Accept", "application/json")
	// A fresh connection per call: net/http silently resends a GET whose
	// reused keep-alive connection broke, and ZEGO would meter that second
	// call against a quota that counted one. Polls are minutes apart, so a
	// kept-alive connection would rarely survive between them anyway.
	req.Close = true

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return transportError(ctx, err, red)
	}
	defer resp.Body.Close()

	buf := c.getBuffer()
	defer c.bodies.Put(buf)
	tooLarge, err := readCapped(resp, c.maxBody, buf)
	serverTime, _ := http.ParseTime(resp.Header.Get("Date")) // zero when absent or malformed
	base := APIError{HTTPStatus: resp.StatusCode, ServerTime: serverTime, sentTime: sent}
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return canceledError(ctx)
		}
		e := base
		e.Kind, e.detail, e.Err = KindTransient, "reading the answer", red.err(err)
		if isTimeout(ctx, err) {
			e.detail = "reading the answer timed out"
		}
		return &e
	}
	return c.classify(resp.StatusCode, buf.Bytes(), tooLarge, a, base, red)
}

// classify turns an answer into success or an *APIError. ZEGO's own Code wins over the HTTP
// status: it says more (e.g. 30002 inside a 503).
func (c *Client) classify(status int, body []byte, tooLarge bool, a *Answer, base APIError, red redactor) error {
	ok := status >= 200 && status < 300
	if tooLarge {
		e := base
		e.Kind = KindTransient
		if !ok {
			e.Kind = kindForStatus(status)
		}
		e.detail = fmt.Sprintf("answer larger than MaxBodyBytes (%d bytes); body starts: %s", c.maxBody, red.snippet(body))
		return &e
	}
	err := DecodeInto(body, a)
	if ok && err == nil {
		return nil
	}
	var codeErr *APIError
	if errors.As(err, &codeErr) {
		e := base
		e.Kind, e.Code, e.RequestID = codeErr.Kind, codeErr.Code, codeErr.RequestID
		e.Message = red.string(codeErr.Message)
		return &e
	}
	e := base
	if ok {
		// Not a ZEGO answer: a proxy's page, a truncated body, ...
		e.Kind, e.Err = KindTransient, err
	} else {
		e.Kind = kindForStatus(status)
		if err == nil { // JSON with Code 0 under an error status: contradictory, trust the status
			e.RequestID = a.RequestID
		}
	}
	if len(body) == 0 {
		e.detail = "empty body"
	} else {
		e.detail = "body: " + red.snippet(body)
	}
	if !ok {
		if text := http.StatusText(status); text != "" {
			e.detail = text + "; " + e.detail
		}
	}
	return &e
}

// requestURL builds the signed URL. Parameters keep a fixed order (Metrics[] as given), which
// makes requests easy to compare in logs and tests.
func (c *Client) requestURL(q Query, nonce string, unixSeconds int64, sig string) string {
	u := *c.endpoint
	var b strings.Builder
	if u.RawQuery != "" {
		b.WriteString(u.RawQuery)
		b.WriteByte('&')
	}
	b.WriteString("Action=GetRealtimeUsage")
	for _, m := range q.Metrics {
		b.WriteString("&Metrics%5B%5D=") // "Metrics[]", escaped as RFC 3986 wants in a query
		b.WriteString(url.QueryEscape(m))
	}
	b.WriteString("&StartTs=")
	b.WriteString(strconv.FormatInt(q.StartMs, 10))
	b.WriteString("&EndTs=")
	b.WriteString(strconv.FormatInt(q.EndMs, 10))
	b.WriteString("&AppId=")
	b.WriteString(strconv.FormatUint(uint64(c.appID), 10))
	b.WriteString("&SignatureNonce=")
	b.WriteString(nonce)
	b.WriteString("&Timestamp=")
	b.WriteString(strconv.FormatInt(unixSeconds, 10))
	b.WriteString("&SignatureVersion=")
	b.WriteString(signatureVersion)
	b.WriteString("&Signature=")
	b.WriteString(sig)
	if c.isTest != nil {
		b.WriteString("&IsTest=")
		b.WriteString(strconv.FormatBool(*c.isTest))
	}
	u.RawQuery = b.String()
	return u.String()
}

func (c *Client) newNonce() (string, error) {
	c.nonceMu.Lock()
	defer c.nonceMu.Unlock()
	return newNonce(c.nonceReader)
}

// transportError classifies a failure with no HTTP answer.
func transportError(ctx context.Context, err error, red redactor) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return canceledError(ctx)
	}
	e := &APIError{Kind: KindTransient, detail: "request failed", Err: red.err(err)}
	if isTimeout(ctx, err) {
		e.detail = "request timed out"
	}
	return e
}

func isTimeout(ctx context.Context, err error) bool {
	var netErr net.Error
	return errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout())
}

// canceledError is what a caller's cancellation returns: not an APIError (nothing failed), and
// errors.Is(err, context.Canceled) holds even when the context carries another cause.
func canceledError(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return fmt.Errorf("zegoapi: GetRealtimeUsage %w (%w)", context.Canceled, cause)
	}
	return fmt.Errorf("zegoapi: GetRealtimeUsage %w", context.Canceled)
}

func (c *Client) getBuffer() *bytes.Buffer {
	if b, ok := c.bodies.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// readCapped reads at most limit bytes of the body into buf, and one more to tell whether the
// body was larger.
func readCapped(resp *http.Response, limit int64, buf *bytes.Buffer) (tooLarge bool, err error) {
	if n := resp.ContentLength; n > 0 && n <= limit && n < math.MaxInt32 {
		buf.Grow(int(n) + bytes.MinRead) // one allocation instead of a series of doublings
	}
	readLimit := limit
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, readLimit))
	return int64(buf.Len()) > limit, err
}

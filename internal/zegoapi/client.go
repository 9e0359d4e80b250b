// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

// Package zegoapi calls ZEGO's real-time monitoring interfaces GetRealtimeUsage,
// GetRealtimeQuality and GetRegionQualityDetail, and its daily operations data GetBizUsage and
// GetBizQuality (docs/zego-api.md): it signs each request,
// decodes answers, and classifies failures by what they call for.
package zegoapi

import (
	"context"
	"crypto/md5" //nolint:gosec // md5 is what ZEGO's signature scheme (SignatureVersion 2.0) prescribes
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Action names a ZEGO analytics interface.
type Action string

const (
	ActionUsage   Action = "GetRealtimeUsage"
	ActionQuality Action = "GetRealtimeQuality"
	ActionRegion  Action = "GetRegionQualityDetail"
	// ActionBizUsage and ActionBizQuality are the daily operations data: one value a day.
	ActionBizUsage   Action = "GetBizUsage"
	ActionBizQuality Action = "GetBizQuality"
)

// DefaultEndpoint routes to ZEGO's nearest region.
const DefaultEndpoint = "https://analytics-api.zego.im"

// MaxBodyBytes caps how much of an answer is read; the largest real one (two hours of six
// per-second metrics) is about 1.8 MB.
const MaxBodyBytes = 8 << 20

// Config is what every request needs.
type Config struct {
	Endpoint string // base URL; a path or query in it is kept
	AppID    uint32
	IsTest   *bool // nil: IsTest is not sent
}

// Client calls the API. It is safe for concurrent use.
type Client struct {
	http *http.Client
	cfg  Config
	base *url.URL
}

// NewClient returns a client for cfg; the http.Client carries timeouts, TLS and proxies.
func NewClient(httpClient *http.Client, cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.Endpoint)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http:// or https:// URL with a host", cfg.Endpoint)
	}
	return &Client{http: httpClient, cfg: cfg, base: base}, nil
}

// Query is what one call asks for.
type Query struct {
	Action  Action
	Metrics []string // one Metrics[] parameter each, in this order
	StartMs int64    // StartTs, UTC ms
	EndMs   int64    // EndTs, UTC ms
	// StartDate and EndDate (yyyyMMdd) are the daily interfaces' range, sent instead of StartTs
	// and EndTs when StartDate is set.
	StartDate, EndDate string
	// Region and Platform are GetRegionQualityDetail's (ZEGO's Chinese region name or all; all,
	// native or web); "" is not sent.
	Region, Platform string
}

// Get makes one call, signed with secret: the caller reads a rotated ServerSecret once per call
// and knows which one signed it. Its errors are *APIError, except when ctx is canceled: then the
// error wraps context.Canceled, as nothing failed.
func (c *Client) Get(ctx context.Context, secret string, q Query) (*Answer, error) {
	var random [8]byte
	_, _ = rand.Read(random[:])            // never fails
	nonce := hex.EncodeToString(random[:]) // 16 hex characters, as in ZEGO's examples
	sent := time.Now()
	sig := signature(c.cfg.AppID, nonce, secret, sent.Unix())
	hidden := []string{sig, "REDACTED"}
	if secret != "" { // never sent, but a server might echo what it knows
		hidden = append(hidden, secret, "REDACTED")
	}
	redact := strings.NewReplacer(hidden...).Replace
	decode := Decode
	if q.StartDate != "" {
		decode = DecodeDaily
	}
	a, err := c.do(ctx, q.Action, c.requestURL(q, nonce, sent.Unix(), sig), redact, decode)
	if e := (*APIError)(nil); errors.As(err, &e) {
		e.Action, e.sentTime = q.Action, sent
		e.Message, e.detail = redact(e.Message), redact(e.detail)
		if e.Err != nil && redact(e.Err.Error()) != e.Err.Error() {
			e.Err = errors.New(redact(e.Err.Error()))
		}
	}
	return a, err
}

// do sends the signed request and reads its answer. Its errors are *APIError, except when ctx
// is canceled.
func (c *Client) do(ctx context.Context, action Action, signedURL string, redact func(string) string, decode func([]byte) (*Answer, error)) (*Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, signedURL, nil)
	if err != nil {
		return nil, &APIError{Kind: KindPermanent, detail: "building the request", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	// A fresh connection per call: net/http silently resends a GET whose kept-alive connection
	// broke, and ZEGO would meter that second call against a quota that counted one. Polls are
	// minutes apart, so a kept-alive connection would rarely survive between them anyway.
	req.Close = true
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, fmt.Errorf("%s: %w", action, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text quotes the signed URL
		}
		return nil, &APIError{Kind: KindTransient, detail: "request " + failure(err), Err: err}
	}
	defer func() { _ = resp.Body.Close() }() // once the body is read, its error tells nothing
	return read(ctx, action, resp, redact, decode)
}

// read reads an answer and classifies what is not a success. A body quoted in an error is
// redacted before it is cut short, so that no part of a secret is left.
func read(ctx context.Context, action Action, resp *http.Response, redact func(string) string, decode func([]byte) (*Answer, error)) (*Answer, error) {
	e := &APIError{HTTPStatus: resp.StatusCode}
	e.serverTime, _ = http.ParseTime(resp.Header.Get("Date"))
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return nil, fmt.Errorf("%s: %w", action, ctx.Err())
	case err != nil:
		e.Kind, e.detail, e.Err = KindTransient, "reading the answer "+failure(err), err
		return nil, e
	case len(body) > MaxBodyBytes:
		e.Kind, e.detail = KindTransient, fmt.Sprintf("answer larger than %d bytes", MaxBodyBytes)
		return nil, e
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	a, err := decode(body)
	var coded *APIError
	switch {
	case errors.As(err, &coded): // ZEGO's Code says more than the HTTP status (30002 inside a 503)
		coded.HTTPStatus, coded.serverTime = e.HTTPStatus, e.serverTime
		return nil, coded
	case err == nil && ok:
		return a, nil
	case ok: // a proxy's page, a cut-off body, ...
		e.Kind, e.Err = KindTransient, err
	default:
		e.Kind, e.Check = statusInfo(resp.StatusCode)
	}
	e.detail = "body: " + snippet(redact(string(body)))
	return nil, e
}

// failure says how a transport error failed, naming timeouts as such.
func failure(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timed out"
	}
	return "failed"
}

// snippet is the start of a body, enough to recognize an HTML error page in a log line.
func snippet(body string) string {
	if body == "" {
		return "(empty)"
	}
	if len(body) > 200 {
		return strings.ToValidUTF8(body[:200], "") + "..."
	}
	return strings.ToValidUTF8(body, "")
}

// requestURL builds the signed URL; its parameters keep a fixed order, which makes requests
// easy to compare in tests.
func (c *Client) requestURL(q Query, nonce string, unixSeconds int64, sig string) string {
	u := *c.base
	var b strings.Builder
	if u.RawQuery != "" {
		b.WriteString(u.RawQuery + "&")
	}
	b.WriteString("Action=" + url.QueryEscape(string(q.Action)))
	if q.Region != "" {
		b.WriteString("&Region=" + url.QueryEscape(q.Region))
	}
	if q.Platform != "" {
		b.WriteString("&Platform=" + url.QueryEscape(q.Platform))
	}
	for _, m := range q.Metrics {
		b.WriteString("&Metrics%5B%5D=" + url.QueryEscape(m)) // Metrics[]
	}
	if q.StartDate != "" {
		fmt.Fprintf(&b, "&StartDate=%s&EndDate=%s", url.QueryEscape(q.StartDate), url.QueryEscape(q.EndDate))
	} else {
		fmt.Fprintf(&b, "&StartTs=%d&EndTs=%d", q.StartMs, q.EndMs)
	}
	fmt.Fprintf(&b, "&AppId=%d&SignatureNonce=%s&Timestamp=%d&SignatureVersion=2.0&Signature=%s",
		c.cfg.AppID, nonce, unixSeconds, sig)
	if c.cfg.IsTest != nil {
		b.WriteString("&IsTest=" + strconv.FormatBool(*c.cfg.IsTest))
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment = b.String(), ""
	return u.String()
}

// signature is ZEGO's request signature: the lowercase hex md5 of AppId, SignatureNonce,
// ServerSecret and Timestamp (Unix seconds), concatenated as text.
func signature(appID uint32, nonce, serverSecret string, unixSeconds int64) string {
	sum := md5.Sum(fmt.Appendf(nil, "%d%s%s%d", appID, nonce, serverSecret, unixSeconds)) //nolint:gosec // G401: ZEGO's signature is md5
	return hex.EncodeToString(sum[:])
}

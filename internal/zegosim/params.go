package zegosim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const actionName = "GetRealtimeUsage"

// singleValued parameters may appear at most once; twice is ambiguous, hence
// a format error.
var singleValued = []string{
	"Action", "AppId", "SignatureNonce", "Timestamp", "SignatureVersion", "Signature", "IsTest",
	"StartTs", "EndTs",
}

// common holds the validated common (gateway) parameters, as received: the
// signature covers the texts, not their numeric values.
type common struct {
	appID     uint32
	appText   string
	nonce     string
	tsText    string
	ts        int64 // seconds
	signature string
}

// query holds the validated parameters of GetRealtimeUsage itself.
type query struct {
	metrics []int // indexes into metricNames, in the order asked, no repeats
	startMs int64
	endMs   int64 // EndTs 0 already replaced by now
}

// parseAppID accepts only the canonical decimal form of a uint32, so the
// AppID the signature covers is the AppID that is metered.
func parseAppID(text string) (uint32, bool) {
	v, err := strconv.ParseUint(text, 10, 32)
	if err != nil || strconv.FormatUint(v, 10) != text {
		return 0, false
	}
	return uint32(v), true
}

// meteredAppID is the AppID a call is charged to, if it names exactly one
// well-formed AppId.
func meteredAppID(q url.Values) (uint32, bool) {
	if vs := q["AppId"]; len(vs) == 1 {
		return parseAppID(vs[0])
	}
	return 0, false
}

func checkCommon(q url.Values) (common, *apiError) {
	for _, k := range singleValued {
		if len(q[k]) > 1 {
			return common{}, refuse(CodeBadFormat, k+" is given more than once")
		}
	}
	switch action := q.Get("Action"); action {
	case "":
		return common{}, refuse(CodeActionEmpty, "Action is empty")
	case actionName:
	default:
		return common{}, refuse(CodeActionUnsupported, "unsupported Action")
	}
	var c common
	var ok bool
	c.appText = q.Get("AppId")
	if c.appID, ok = parseAppID(c.appText); !ok {
		return common{}, refuse(CodeAppIDFormat, "AppId is missing or not a decimal uint32")
	}
	if c.nonce = q.Get("SignatureNonce"); c.nonce == "" {
		return common{}, refuse(CodeNonceEmpty, "SignatureNonce is empty")
	}
	if c.tsText = q.Get("Timestamp"); c.tsText == "" {
		return common{}, refuse(CodeTimestampEmpty, "Timestamp is empty")
	}
	ts, err := strconv.ParseInt(c.tsText, 10, 64)
	if err != nil {
		return common{}, refuse(CodeTimestampFormat, "Timestamp is not an integer (Unix seconds)")
	}
	c.ts = ts
	switch q.Get("SignatureVersion") {
	case "":
		return common{}, refuse(CodeSigVersionEmpty, "SignatureVersion is empty")
	case "2.0":
	default:
		return common{}, refuse(CodeSigVersionUnsupported, "unsupported SignatureVersion (only 2.0)")
	}
	if c.signature = q.Get("Signature"); c.signature == "" {
		return common{}, refuse(CodeSignatureEmpty, "Signature is empty")
	}
	if vs, given := q["IsTest"]; given && vs[0] != "true" && vs[0] != "false" {
		return common{}, refuse(CodeBadValue, "IsTest must be true or false")
	}
	return c, nil
}

func checkQuery(q url.Values, nowMs int64) (query, *apiError) {
	var out query
	names := q["Metrics[]"]
	if len(names) == 0 {
		msg := "Metrics[] is missing"
		if len(q["Metrics"]) > 0 {
			msg += " (Metrics without [] is not read)"
		}
		return query{}, refuse(CodeBadFormat, msg)
	}
	for _, name := range names {
		i, ok := metricIndex(name)
		if !ok {
			// The name is not echoed: messages reach the log.
			return query{}, refuse(CodeBadValue, "unknown metric in Metrics[] (known: "+strings.Join(metricNames[:], ", ")+")")
		}
		if !slices.Contains(out.metrics, i) { // a repeat is answered once
			out.metrics = append(out.metrics, i)
		}
	}
	var err *apiError
	if out.startMs, err = msParam(q, "StartTs"); err != nil {
		return query{}, err
	}
	if out.endMs, err = msParam(q, "EndTs"); err != nil {
		return query{}, err
	}
	if out.endMs == 0 {
		out.endMs = nowMs
	}
	if out.startMs > out.endMs {
		return query{}, refuse(CodeBadValue, "StartTs is after EndTs")
	}
	return out, nil
}

// msParam reads a required, non-negative UTC millisecond timestamp.
func msParam(q url.Values, key string) (int64, *apiError) {
	text := q.Get(key)
	if text == "" {
		return 0, refuse(CodeBadFormat, key+" is missing")
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 {
		return 0, refuse(CodeBadValue, key+" is not a non-negative integer (UTC ms)")
	}
	return v, nil
}

// Package zegosim simulates ZEGO's analytics API GetRealtimeUsage
// (GET https://analytics-api.zego.im/?Action=GetRealtimeUsage) on a local
// listener, so the receiver and its end-to-end tests can run without ZEGO
// credentials.
//
// The simulator checks signatures with its own code (it never imports the
// receiver's client), meters calls per AppID as ZEGO does, serves
// deterministic, mutually consistent data (see Value) and can inject faults.
//
// Where ZEGO's behaviour is not documented the simulator picks one answer and
// sticks to it:
//
//   - Common (gateway) parameters answer ZEGO's documented common return codes
//     (100000001 AppId format, 100000002/3 Timestamp empty/format, 100000006/7
//     Action empty/unsupported, 100000008 SignatureNonce empty, 100000009
//     Signature empty, 100000013/14 SignatureVersion empty/unsupported). An
//     AppID with no known secret answers 100000010 ("failed to get
//     ServerSecret"). The endpoint's own parameters answer 10001 (missing,
//     empty or given twice) and 10002 (invalid value).
//   - Checks run in this order: quota metering, fault injection, quota
//     verdict (30002), gateway parameters, authentication (secret, Timestamp
//     window, signature, nonce), endpoint parameters, data. Every call that
//     names a well-formed AppId is metered, whatever its outcome, including
//     rejected ones.
//   - The quota windows are half-open: a call at t is compared with the calls
//     in (t-60s, t] and (t-24h, t]; a call exactly 60 s (24 h) old no longer
//     counts, so one call every 20 s (180 s) never trips the default quota.
//   - StartTs and EndTs are both inclusive. A point at t is served once
//     now >= t + Delay and while t >= now - Retention.
//   - Timestamp is accepted when |server clock - Timestamp| <= 10 minutes. The
//     signature is computed over the parameter texts as received, and must be
//     lowercase hex.
//   - A nonce is remembered only once its signature checked out, for 10
//     minutes per AppID.
//   - Every answer with a return code is HTTP 200, as ZEGO hides even its rate
//     limit in a 200 body. GET and POST are both accepted (ZEGO's analytics
//     APIs allow either); parameters are read from the query string.
//   - Metrics come back in the order asked, a repeated metric once; a metric
//     with no point in the window comes back with an empty Values list.
//   - Tidy errors carry no Data; Quirks errors carry "Data":null.
//   - Faults are acted out after metering and before the quota verdict, so
//     they are deterministic whatever the quota state. The "truncated" fault
//     cuts the real answer (the call is processed) and frames it correctly;
//     "reset" resets the TCP connection (aborts the stream on HTTP/2).
//   - State is kept for at most 65 536 AppIDs without a known secret; calls
//     from further unknown AppIDs are answered but not metered.
package zegosim

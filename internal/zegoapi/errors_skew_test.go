package zegoapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// ZEGO said the Timestamp is more than 10 minutes off, but the answer's Date header is within
// seconds of the local clock: the error must not name that difference as the skew.
func TestClockSkewIgnoresASmallDateDifference(t *testing.T) {
	sent := time.Unix(1_700_000_000, 700_000_000)
	for _, serverTime := range []time.Time{sent.Truncate(time.Second), sent.Add(-2 * time.Second), sent.Add(3 * time.Second)} {
		e := &APIError{Kind: KindClockSkew, Code: CodeSignatureExpired, ServerTime: serverTime, sentTime: sent}
		msg := e.Error()
		assert.Contains(t, msg, "the local clock is more than 10 minutes off; synchronise it (NTP)")
		assert.NotContains(t, msg, "ahead")
		assert.NotContains(t, msg, "behind")
	}
	e := &APIError{Kind: KindClockSkew, Code: CodeSignatureExpired, ServerTime: sent.Add(11 * time.Minute), sentTime: sent}
	assert.Contains(t, e.Error(), "(it is 11m0s behind ZEGO's server)")
}

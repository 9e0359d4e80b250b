package zegosim

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogKeepsSecrets runs calls of every outcome and checks the log names
// the AppID and code but never a secret, a signature or a nonce.
func TestLogKeepsSecrets(t *testing.T) {
	h := newHarness(t, Config{PerMinute: -1})
	var secrets []string
	send := func(mutate func(q map[string][]string)) {
		q := h.example(0, 1, MetricOnlineUser)
		if mutate != nil {
			mutate(q)
		}
		secrets = append(secrets, q.Get("Signature"), q.Get("SignatureNonce"))
		h.raw(q)
	}
	send(nil)
	send(func(q map[string][]string) { q["Signature"] = []string{strings.Repeat("ab", 16)} })
	send(func(q map[string][]string) { q["Action"] = []string{exampleSecret} })
	send(func(q map[string][]string) { q["Metrics[]"] = []string{exampleSecret} })
	h.s.InjectFault(Fault{Kind: FaultCode500, Count: 1})
	send(nil)
	h.s.InjectFault(Fault{Kind: FaultTruncated, Count: 1})
	send(nil)

	log := h.logs.all()
	require.Len(t, strings.Split(log, "\n"), 6)
	assert.Contains(t, log, "app=12345 code=0 ")
	assert.Contains(t, log, "code=100000005")
	assert.Contains(t, log, "fault=truncated")
	assert.NotContains(t, log, exampleSecret[:12])
	for _, s := range secrets {
		assert.NotContains(t, log, s)
	}
}

// TestConcurrentCalls is for the race detector.
func TestConcurrentCalls(t *testing.T) {
	h := newHarness(t, Config{AnySecret: "any", PerMinute: 5, Quirks: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 10 {
				h.send(h.query(uint32(g%3+1), "any", ms(t0)-200_000, ms(t0), MetricOnlineUser, MetricMaxRoomUser))
				_ = h.s.Stats()
			}
		})
		if g == 4 {
			h.s.InjectFault(Fault{Kind: FaultCode500, Count: 3})
		}
	}
	wg.Wait()
	total := 0
	for _, st := range h.s.Stats() {
		total += st.Calls
	}
	assert.Equal(t, 80, total)
}

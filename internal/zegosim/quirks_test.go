package zegosim

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuirksSameData asks a tidy and a quirky server the same questions at
// the same times: the answers look different but decode, with plain
// encoding/json, to the same set of points.
func TestQuirksSameData(t *testing.T) {
	tidy := newHarness(t, Config{Seed: 5, PerMinute: -1})
	quirky := newHarness(t, Config{Seed: 5, PerMinute: -1, Quirks: true})
	asked := MetricNames()

	var shuffledMetrics, unsortedPoints, repeats, floats int
	for i := range 12 {
		at := t0.Add(time.Duration(i) * 7 * time.Second)
		tidy.clock.Set(at)
		quirky.clock.Set(at)
		start, end := ms(at)-5*60_000-int64(i)*1000, ms(at)-4*60_000

		tr := tidy.raw(tidy.example(start, end, asked...))
		qr := quirky.raw(quirky.example(start, end, asked...))
		tb, qb := tr.Body.Bytes(), qr.Body.Bytes()
		td, qd := decodeResp(t, tb), decodeResp(t, qb)
		require.Equal(t, CodeSuccess, td.Code)
		require.Equal(t, CodeSuccess, qd.Code)

		// RequestId: a string when tidy, a bare 19-digit number when quirky.
		assert.Equal(t, byte('"'), td.RequestId[0])
		assert.Regexp(t, `^[0-9]{19}$`, string(qd.RequestId))

		// Tidy: metrics as asked, points ascending, no repeats.
		var names []string
		for _, m := range td.Data.Metrics {
			names = append(names, m.Metric)
			times := td.times(m.Metric)
			require.True(t, slices.IsSorted(times))
			require.Len(t, slices.Compact(slices.Clone(times)), len(times))
		}
		require.Equal(t, asked, names)
		require.NotContains(t, string(tb), ".0")

		// Same set of points.
		tset, qset := map[point]bool{}, map[point]bool{}
		for _, p := range td.points() {
			tset[p] = true
		}
		for _, p := range qd.points() {
			qset[p] = true
		}
		require.Equal(t, tset, qset)

		// Count the quirks seen.
		names = names[:0]
		for _, m := range qd.Data.Metrics {
			names = append(names, m.Metric)
			times := qd.times(m.Metric)
			if !slices.IsSorted(times) {
				unsortedPoints++
			}
			slices.Sort(times)
			if len(slices.Compact(times)) < len(qd.times(m.Metric)) {
				repeats++
			}
		}
		if !slices.Equal(asked, names) {
			shuffledMetrics++
		}
		floats += bytes.Count(qb, []byte(".0}"))
	}
	assert.Positive(t, shuffledMetrics, "metrics shuffled")
	assert.Positive(t, unsortedPoints, "points shuffled")
	assert.Positive(t, repeats, "a point repeated")
	assert.Positive(t, floats, "values written as 1000.0")
}

func TestQuirksDeterministic(t *testing.T) {
	body := func() []byte {
		h := newHarness(t, Config{Seed: 9, Quirks: true})
		q := h.example(ms(t0)-300_000, ms(t0)-240_000, MetricOnlineUser, MetricRoomConcurrent)
		q.Set("SignatureNonce", "fixed")
		q.Set("Signature", Sign(exampleApp, "fixed", exampleSecret, t0.Unix()))
		return h.raw(q).Body.Bytes()
	}
	first := body()
	assert.Equal(t, first, body())

	h := newHarness(t, Config{Seed: 9, Quirks: true})
	q := h.example(0, 1, MetricOnlineUser)
	q.Del("Signature")
	assert.Contains(t, h.raw(q).Body.String(), `"Data":null`, "quirky errors carry Data:null")
}

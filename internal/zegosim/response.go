package zegosim

import (
	"encoding/json"
	"slices"
	"strconv"
)

// encode renders an answer in ZEGO's shape:
//
//	{"Code":0,"Message":"success","Data":{"Metrics":[{"Metric":"...","Values":[{"Timestamp":..,"Value":..}]}]},"RequestId":...}
//
// Tidy: metrics in the order asked, points ascending, RequestId a string,
// no Data on errors. Quirks: see applyQuirks; RequestId a bare number, and
// errors carry "Data":null.
func (s *Server) encode(a answer, appID uint32, rid uint64) []byte {
	b := make([]byte, 0, 128+a.points*40)
	b = append(b, `{"Code":`...)
	b = strconv.AppendInt(b, int64(a.code), 10)
	b = append(b, `,"Message":`...)
	b = appendString(b, a.msg)
	switch {
	case a.code == CodeSuccess:
		b = s.appendData(b, a, appID)
	case s.cfg.Quirks:
		b = append(b, `,"Data":null`...)
	}
	b = append(b, `,"RequestId":`...)
	if s.cfg.Quirks {
		b = strconv.AppendUint(b, rid, 10)
	} else {
		b = append(b, '"')
		b = strconv.AppendUint(b, rid, 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

func (s *Server) appendData(b []byte, a answer, appID uint32) []byte {
	all := a.series
	if s.cfg.Quirks {
		all = applyQuirks(all, a.qkey)
	}
	b = append(b, `,"Data":{"Metrics":[`...)
	for i, sr := range all {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Metric":`...)
		b = appendString(b, metricNames[sr.metric])
		b = append(b, `,"Values":[`...)
		for j, t := range sr.times {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Timestamp":`...)
			b = strconv.AppendInt(b, t, 10)
			b = append(b, `,"Value":`...)
			b = strconv.AppendInt(b, sr.values[j], 10)
			// Value is documented as Number; nothing stops ZEGO writing 1000.0.
			if s.cfg.Quirks && hashOf(uint64(s.cfg.Seed), uint64(appID), uint64(sr.metric), uint64(t), 0xf10a7)%4 == 0 {
				b = append(b, ".0"...)
			}
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

// applyQuirks returns a shuffled copy of the series: metrics in a random
// order, each metric's points shuffled, and in about a third of the metrics
// one point repeated (same timestamp, same value). Deterministic from key.
func applyQuirks(in []series, key uint64) []series {
	st := stream{state: key}
	out := slices.Clone(in)
	shuffle(&st, len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for k := range out {
		sr := series{metric: out[k].metric, times: slices.Clone(out[k].times), values: slices.Clone(out[k].values)}
		shuffle(&st, len(sr.times), func(i, j int) {
			sr.times[i], sr.times[j] = sr.times[j], sr.times[i]
			sr.values[i], sr.values[j] = sr.values[j], sr.values[i]
		})
		if n := len(sr.times); n > 0 && st.intn(3) == 0 {
			from, at := st.intn(n), st.intn(n+1)
			sr.times = slices.Insert(sr.times, at, sr.times[from])
			sr.values = slices.Insert(sr.values, at, sr.values[from])
		}
		out[k] = sr
	}
	return out
}

// shuffle is Fisher–Yates over our stateless stream.
func shuffle(st *stream, n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, st.intn(i+1))
	}
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

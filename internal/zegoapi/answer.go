// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Point is one sample of a metric; its Value is NaN when ZEGO's was missing or not a finite
// number. A daily interface's value carries a Date (yyyyMMdd) instead of a Timestamp: its
// TimestampMs is then that day's 00:00 UTC, which the caller places in its own time zone (ZEGO
// does not say which zone its days are in). A field of its own would add a third to every
// real-time point in memory.
type Point struct {
	TimestampMs int64
	Value       float64
}

// Series is one metric's samples, as the answer had them: any order, repeats kept.
type Series struct {
	Metric string
	Points []Point
}

// Answer is a successful answer.
type Answer struct {
	RequestID string // "" when absent; a bare JSON number is kept digit-exact
	Series    []Series
	Regions   []RegionQuality // as the answer had them: any order, repeats kept
	// Invalid counts the points and entries skipped because their Timestamp (or Region) was
	// missing or unusable: with no time, they fit no window. An unusable value at a usable time
	// is counted where its time is (Point, RegionQuality.Invalid).
	Invalid int
}

// Decode parses an answer body. A body that is not ZEGO's answer (no Code, not JSON) gives a
// plain error; a Code other than 0 gives an *APIError classified by the code.
//
// It accepts what ZEGO's documentation contradicts itself on (docs/zego-api.md):
// RequestId as a string or a bare number too large for a float64; Data as an object holding
// Metrics or as an array; numbers written as floats (1000.0); for Code, Timestamp, Value and
// the fields of GetRegionQualityDetail's blocks, a string holding a number; and a block as an
// object or as an array of one.
func Decode(body []byte) (*Answer, error) { return decode[point](body) }

// DecodeDaily parses an answer of GetBizUsage or GetBizQuality, whose values carry a Date
// (yyyyMMdd, a string or a number) instead of a Timestamp: each Point's TimestampMs is that
// day's 00:00 UTC. It accepts what Decode accepts.
func DecodeDaily(body []byte) (*Answer, error) { return decode[datedPoint](body) }

func decode[P sample](body []byte) (*Answer, error) {
	// Data is documented as an Array, but ZEGO's example shows an object holding Metrics: the
	// object is tried first, the array only if Data turns out to be one.
	var env envelope[node[P]]
	err := json.Unmarshal(body, &env)
	nodes := []node[P]{env.Data}
	if dataMismatch(err) {
		var list envelope[[]node[P]]
		err = json.Unmarshal(body, &list)
		nodes = list.Data
	}
	var mismatch *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &mismatch) { // a mismatch costs only the element it is in
		return nil, fmt.Errorf("not ZEGO's answer: %w", err)
	}
	code, ok := finite(env.Code)
	if !ok || code != math.Trunc(code) {
		return nil, errors.New("not ZEGO's answer: no integer Code")
	}
	a := &Answer{RequestID: text(env.RequestID)}
	if code != 0 {
		info := infoForCode(int64(code))
		return nil, &APIError{Kind: info.kind, Code: int64(code), Message: text(env.Message), RequestID: a.RequestID, Check: info.check, detail: info.meaning}
	}
	if dataMismatch(err) {
		return nil, fmt.Errorf("not ZEGO's answer: Data is neither an object nor an array: %w", err)
	}
	collect(a, nodes)
	return a, nil
}

func dataMismatch(err error) bool {
	var mismatch *json.UnmarshalTypeError
	return errors.As(err, &mismatch) && mismatch.Field == "Data"
}

type envelope[D any] struct {
	Code      any             `json:"Code"` // a number, or a string holding one (see finite)
	Message   json.RawMessage `json:"Message"`
	RequestID json.RawMessage `json:"RequestId"`
	Data      D               `json:"Data"`
}

// collect gathers the series of ns and of the Metrics they hold, depth first.
func collect[P sample](a *Answer, ns []node[P]) {
	for _, n := range ns {
		if n.Metric != "" {
			s := Series{Metric: n.Metric}
			for _, p := range n.Values {
				ts, okTS := p.time()
				v, okV := finite(p.value())
				switch {
				case !okTS:
					a.Invalid++
				case !okV:
					v = math.NaN()
					fallthrough
				default:
					s.Points = append(s.Points, Point{TimestampMs: ts, Value: v})
				}
			}
			a.Series = append(a.Series, s)
		}
		a.collectRegions(n.List)
		collect(a, n.Metrics)
	}
}

// node is an element of Data or Metrics: a metric, a holder of Metrics or of a region List, or
// several of these.
type node[P sample] struct {
	Metric  string    `json:"Metric"`
	Values  []P       `json:"Values"`
	Metrics []node[P] `json:"Metrics"`
	List    []minute  `json:"List"`
}

// sample is a Values element: when it is, and its value.
type sample interface {
	point | datedPoint
	time() (ms int64, ok bool)
	value() any
}

// point is a Values element; an element that is not an object decodes as a zero point, which
// is invalid: one odd point costs that point only. Its fields are numbers, or strings holding
// numbers (see finite).
type point struct{ Timestamp, Value any }

func (p point) time() (int64, bool) { return timestamp(p.Timestamp) }
func (p point) value() any          { return p.Value }

// datedPoint is a daily interface's Values element: a Date, yyyyMMdd, as a string or a number.
type datedPoint struct{ Date, Value any }

func (p datedPoint) time() (int64, bool) { return date(p.Date) }
func (p datedPoint) value() any          { return p.Value }

// date is a Date's 00:00 UTC in ms.
func date(v any) (int64, bool) {
	s, ok := v.(string)
	if f, isNum := v.(float64); isNum && f == math.Trunc(f) && f >= 0 && f < 1e8 {
		s, ok = strconv.FormatFloat(f, 'f', 0, 64), true
	}
	if !ok || len(s) != len("20060102") {
		return 0, false
	}
	t, err := time.Parse("20060102", s)
	return t.UnixMilli(), err == nil
}

// timestamp is a finite Timestamp in UTC ms within float64's exact integers, to the ms.
func timestamp(v any) (int64, bool) {
	ts, ok := finite(v)
	return int64(math.Round(ts)), ok && ts >= 0 && ts <= 1<<53
}

// finite is a decoded JSON number, or a string holding one, if it is finite.
func finite(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return 0, false
}

// text is a JSON string's value, a number's literal digits, or "" for null or absent.
func text(raw json.RawMessage) string {
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case json.Unmarshal(raw, &s) == nil:
		return s
	}
	return string(raw)
}

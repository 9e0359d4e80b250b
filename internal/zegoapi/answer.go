// Copyright The zego-otel Authors
// SPDX-License-Identifier: Apache-2.0

package zegoapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Point is one sample of a metric; its Value is NaN when ZEGO's was missing or not a finite
// number.
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
func Decode(body []byte) (*Answer, error) {
	// Data is documented as an Array, but ZEGO's example shows an object holding Metrics: the
	// object is tried first, the array only if Data turns out to be one.
	var env envelope[node]
	err := json.Unmarshal(body, &env)
	nodes := []node{env.Data}
	if dataMismatch(err) {
		var list envelope[[]node]
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
	a.collect(nodes)
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
func (a *Answer) collect(ns []node) {
	for _, n := range ns {
		if n.Metric != "" {
			s := Series{Metric: n.Metric}
			for _, p := range n.Values {
				ts, okTS := timestamp(p.Timestamp)
				v, okV := finite(p.Value)
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
		a.collect(n.Metrics)
	}
}

// node is an element of Data or Metrics: a metric, a holder of Metrics or of a region List, or
// several of these.
type node struct {
	Metric  string   `json:"Metric"`
	Values  []point  `json:"Values"`
	Metrics []node   `json:"Metrics"`
	List    []minute `json:"List"`
}

// point is a Values element; an element that is not an object decodes as a zero point, which
// is invalid: one odd point costs that point only. Its fields are numbers, or strings holding
// numbers (see finite).
type point struct{ Timestamp, Value any }

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

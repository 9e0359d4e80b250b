package zegoapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The reference decoder below states the decoding rules a second time, slowly and plainly, on
// top of encoding/json: json.Valid decides what is JSON, and a json.Decoder with UseNumber
// builds a tree whose objects keep their keys in order (needed for the first-key-wins rule, which
// a map would lose). FuzzDecode checks that the fast scanner agrees with it.

// refObject is a JSON object with its keys in document order.
type refObject struct {
	keys []string
	vals []any
}

// first returns the value of the first key equal to name, ignoring ASCII case.
func (o *refObject) first(name string) (any, bool) {
	for i, k := range o.keys {
		if refEqualFoldASCII(k, name) {
			return o.vals[i], true
		}
	}
	return nil, false
}

func refEqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

func refTree(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &refObject{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := refTree(dec)
				if err != nil {
					return nil, err
				}
				obj.keys = append(obj.keys, k.(string))
				obj.vals = append(obj.vals, v)
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := refTree(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	default:
		return t, nil // nil, bool, string, json.Number
	}
}

var refNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// refInt converts a JSON number's text: integer literals exactly, others via float64 rounded to
// nearest; ok is false when not finite or outside int64.
func refInt(s string) (v int64, exact, ok bool) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true, true
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, false
	}
	r := math.Round(f)
	if r < math.MinInt64 || r >= math.MaxInt64 { // float64(MaxInt64) is 2^63
		return 0, false, false
	}
	return int64(r), r == f, true
}

// refNumeric converts a number, or (withString) a string holding exactly a JSON number.
func refNumeric(v any, withString bool) (int64, bool, bool) {
	switch t := v.(type) {
	case json.Number:
		return refInt(string(t))
	case string:
		if withString && refNumberRE.MatchString(t) {
			return refInt(t)
		}
	}
	return 0, false, false
}

type refResult struct {
	code    int64
	message string
	answer  Answer
}

func referenceDecode(body []byte) (*refResult, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !json.Valid(body) {
		return nil, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tree, err := refTree(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data: %v", err)
	}
	top, ok := tree.(*refObject)
	if !ok {
		return nil, errors.New("not an object")
	}
	res := &refResult{}
	codeVal, _ := top.first("Code")
	code, exact, ok := refNumeric(codeVal, true)
	if !ok || !exact {
		return nil, errors.New("no usable Code")
	}
	res.code = code
	if msg, ok := top.first("Message"); ok {
		res.message, _ = msg.(string)
	}
	if id, ok := top.first("RequestId"); ok {
		switch t := id.(type) {
		case string:
			res.answer.RequestID = t
		case json.Number:
			res.answer.RequestID = string(t)
		}
	}
	if data, ok := top.first("Data"); ok {
		refNodes(data, &res.answer)
	}
	return res, nil
}

func refNodes(v any, a *Answer) {
	switch t := v.(type) {
	case *refObject:
		refNode(t, a)
	case []any:
		for _, e := range t {
			if o, ok := e.(*refObject); ok {
				refNode(o, a)
			}
		}
	}
}

// refNode follows the same placement rule as the scanner: the object's own series goes where
// its first Metric or Values key is, relative to the series of its Metrics.
func refNode(o *refObject, a *Answer) {
	own := -1
	seen := map[string]bool{}
	for i, k := range o.keys {
		var field string
		for _, name := range []string{"Metric", "Values", "Metrics"} {
			if refEqualFoldASCII(k, name) {
				field = name
			}
		}
		if field == "" || seen[field] {
			continue
		}
		seen[field] = true
		v := o.vals[i]
		if field == "Metrics" {
			refNodes(v, a)
			continue
		}
		if own < 0 {
			a.Series = append(a.Series, Series{})
			own = len(a.Series) - 1
		}
		switch field {
		case "Metric":
			if s, ok := v.(string); ok {
				a.Series[own].Metric = s
			}
		case "Values":
			arr, ok := v.([]any)
			if !ok {
				continue
			}
			for _, e := range arr {
				po, ok := e.(*refObject)
				if !ok {
					a.InvalidValues++
					continue
				}
				tsVal, _ := po.first("Timestamp")
				valVal, _ := po.first("Value")
				ts, _, tsOK := refNumeric(tsVal, true)
				val, _, valOK := refNumeric(valVal, false)
				if !tsOK || !valOK {
					a.InvalidValues++
					continue
				}
				a.Series[own].Points = append(a.Series[own].Points, Point{TimestampMs: ts, Value: val})
			}
		}
	}
}

// TestReferenceDecodeExample guards the reference itself against a silly mistake that would make
// the fuzz comparison vacuous.
func TestReferenceDecodeExample(t *testing.T) {
	res, err := referenceDecode(readTestdata(t, "example_zh.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.answer.RequestID != "1660645050860325000" || len(res.answer.Series) != 2 ||
		res.answer.Series[1].Points[0].Value != 99999 || res.message != "success" {
		t.Fatalf("reference decoded %+v", res)
	}
}

func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() {
			continue
		}
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add(buildAnswer(3))
	for _, s := range []string{
		`{"Code":0,"Data":[{"Metric":"a","Metrics":[{"Metric":"b","Values":[{"Timestamp":"1e3","Value":1.5}]}]}]}`,
		`{"code":"-0","DATA":{"metrics":{"METRIC":"\u006fnline_user","values":[{"TIMESTAMP":1,"VALUE":-2.5e0}]}}}`,
		`{"Code":0,"RequestId":"\ud83d\ude00\udc00\ud800\u0041"}`,
		"{\"Code\":0,\"Message\":\"\xff\xfe\xed\xa0\x80\"}",
		`{"Code":1e2,"Code":0}`,
		`{"Code":0,"Data":{"Metrics":[{"Values":[{"Timestamp":9223372036854775807,"Value":-9223372036854775809}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	seed := buildAnswer(2)

	f.Fuzz(func(t *testing.T, body []byte) {
		var fast Answer
		head, fastErr := decodeAnswer(body, &fast)
		ref, refErr := referenceDecode(body)
		if (fastErr == nil) != (refErr == nil) {
			t.Fatalf("acceptance differs: fast err %v, reference err %v\nbody %q", fastErr, refErr, body)
		}
		if fastErr != nil {
			if _, isAPI := KindOf(fastErr); isAPI {
				t.Fatalf("malformed body gave an APIError: %v", fastErr)
			}
			return
		}
		if head.code != ref.code {
			t.Fatalf("Code: fast %d, reference %d\nbody %q", head.code, ref.code, body)
		}
		if msg := head.message(body); msg != ref.message {
			t.Fatalf("Message: fast %q, reference %q\nbody %q", msg, ref.message, body)
		}
		want := normalized(&ref.answer)
		if got := normalized(&fast); !answersEqual(got, want) {
			t.Fatalf("answers differ:\nfast      %+v\nreference %+v\nbody %q", got, want, body)
		}

		// DecodeInto over a used Answer must give the same as a fresh one.
		var reused Answer
		if err := DecodeInto(seed, &reused); err != nil {
			t.Fatal(err)
		}
		if _, err := decodeAnswer(body, &reused); err != nil {
			t.Fatalf("reused Answer: %v", err)
		}
		if got := normalized(&reused); !answersEqual(got, want) {
			t.Fatalf("reused Answer differs:\ngot  %+v\nwant %+v\nbody %q", got, want, body)
		}

		// The public entry point agrees on the Code.
		a, err := Decode(body)
		if (ref.code == 0) != (err == nil) || (err == nil && a == nil) {
			t.Fatalf("Decode: code %d, err %v", ref.code, err)
		}
	})
}

func answersEqual(a, b *Answer) bool {
	if a.RequestID != b.RequestID || a.InvalidValues != b.InvalidValues || len(a.Series) != len(b.Series) {
		return false
	}
	for i := range a.Series {
		if a.Series[i].Metric != b.Series[i].Metric || len(a.Series[i].Points) != len(b.Series[i].Points) {
			return false
		}
		for j := range a.Series[i].Points {
			if a.Series[i].Points[j] != b.Series[i].Points[j] {
				return false
			}
		}
	}
	return true
}

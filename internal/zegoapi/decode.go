package zegoapi

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Point is one sample of a metric.
type Point struct {
	TimestampMs int64
	Value       int64
}

// Series is one metric's samples.
type Series struct {
	Metric string
	Points []Point // as the answer had them: any order, repeats kept (the caller filters/dedups/sorts)
}

// Answer is a successful GetRealtimeUsage answer.
type Answer struct {
	RequestID string   // "" when absent; a bare JSON number kept digit-exact (e.g. 1660645050860325000)
	Series    []Series // in answer order
	// InvalidValues counts points skipped because Value was not a finite number representable as
	// int64. Points whose Timestamp is missing or unusable, and elements of Values that are not
	// objects, are skipped and counted here too.
	InvalidValues int
}

// Decode parses a response body. It is exported for fuzzing and benchmarks.
//
// A body that is not a JSON object, or has no usable Code, gives a plain error naming the byte
// offset. A Code other than 0 gives an *APIError classified by the code.
//
// The decoder is tolerant of ZEGO's inconsistencies (see README in shared/zego-api):
//   - field names match ASCII case-insensitively; when a name repeats, the first one wins;
//   - Data and Metrics may each be an object or an array of objects; every such object may be a
//     metric ({Metric, Values}) and may hold further Metrics; other element types are ignored;
//   - RequestId may be a string or a bare number (kept as its literal text);
//   - Code and Timestamp may be numbers or strings holding a number;
//   - numbers may be written as floats (1000.0, 1e3); non-integers round to nearest;
//   - a point whose Value or Timestamp is unusable is skipped and counted in InvalidValues.
func Decode(body []byte) (*Answer, error) {
	a := &Answer{}
	if err := DecodeInto(body, a); err != nil {
		return nil, err
	}
	return a, nil
}

// DecodeInto is Decode reusing a's slices (Series and their Points) to avoid allocations on
// steady-state polls. On error a's contents are unspecified.
func DecodeInto(body []byte, a *Answer) error {
	h, err := decodeAnswer(body, a)
	if err != nil {
		return err
	}
	if h.code != 0 {
		return &APIError{
			Kind:      kindForCode(h.code),
			Code:      h.code,
			Message:   h.message(body),
			RequestID: a.RequestID,
		}
	}
	return nil
}

// maxNestingDepth matches encoding/json's limit, so both agree on which bodies are valid JSON. It
// also bounds the recursion of the scanner.
const maxNestingDepth = 10000

// decodeError is a malformed answer: not JSON, not an object, or without a usable Code.
type decodeError struct {
	offset int
	msg    string
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("invalid ZEGO answer at byte %d: %s", e.offset, e.msg)
}

// answerHead is what decodeAnswer finds besides the Answer: the Code, and where the Message is
// (turned into a string only when needed, i.e. when Code is not 0).
type answerHead struct {
	code     int64
	msgStart int
	msgEnd   int
	msgPlain bool // the raw bytes are the message (no escapes, ASCII only)
	hasMsg   bool
}

func (h *answerHead) message(body []byte) string {
	if !h.hasMsg {
		return ""
	}
	raw := body[h.msgStart:h.msgEnd]
	if h.msgPlain {
		return string(raw)
	}
	return string(appendUnquoted(nil, raw))
}

// decoder is a single-pass scanner over the body that validates JSON as it extracts the fields
// it knows and skips the rest.
type decoder struct {
	buf     []byte
	pos     int
	ans     *Answer
	scratch []byte // unquoted text of strings that have escapes or non-ASCII bytes (rare)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func decodeAnswer(body []byte, a *Answer) (answerHead, error) {
	a.RequestID = ""
	a.Series = a.Series[:0]
	a.InvalidValues = 0

	d := decoder{buf: body, ans: a}
	if len(body) >= len(utf8BOM) && string(body[:len(utf8BOM)]) == string(utf8BOM) {
		d.pos = len(utf8BOM)
	}
	d.skipSpace()
	if d.pos >= len(body) {
		return answerHead{}, d.errAt(d.pos, "empty answer")
	}
	if body[d.pos] != '{' {
		if err := d.skipValue(1); err != nil {
			return answerHead{}, err
		}
		return answerHead{}, d.errAt(0, "answer is not a JSON object")
	}
	var h answerHead
	codeErr, err := d.topObject(&h)
	if err != nil {
		return answerHead{}, err
	}
	d.skipSpace()
	if d.pos != len(body) {
		return answerHead{}, d.errAt(d.pos, "unexpected data after the answer")
	}
	if codeErr != nil {
		return answerHead{}, codeErr
	}
	return h, nil
}

// topObject parses the answer object. A missing or unusable Code is returned as codeErr so that
// a syntax error later in the body takes precedence (it says more about what went wrong).
func (d *decoder) topObject(h *answerHead) (codeErr error, err error) {
	const depth = 1
	var seenCode, seenMessage, seenRequestID, seenData bool
	objStart := d.pos
	more, err := d.openContainer(depth, '{', '}')
	for more && err == nil {
		var name []byte
		if name, err = d.memberName(); err != nil {
			return nil, err
		}
		switch {
		case !seenCode && matchName(name, "Code"):
			seenCode = true
			codeErr, err = d.code(h)
		case !seenMessage && matchName(name, "Message"):
			seenMessage = true
			if d.peek() == '"' {
				h.msgStart, h.msgEnd, h.msgPlain, err = d.str()
				h.hasMsg = true
			} else {
				err = d.skipValue(depth + 1)
			}
		case !seenRequestID && matchName(name, "RequestId"):
			seenRequestID = true
			err = d.requestID()
		case !seenData && matchName(name, "Data"):
			seenData = true
			err = d.nodes(depth + 1)
		default:
			err = d.skipValue(depth + 1)
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	if err == nil && !seenCode {
		codeErr = d.errAt(objStart, "answer has no Code")
	}
	return codeErr, err
}

// code reads Code: an integer, as a number or a string holding one.
func (d *decoder) code(h *answerHead) (codeErr, err error) {
	at := d.pos
	var v int64
	var exact, ok bool
	switch c := d.peek(); {
	case c == '-' || isDigit(c):
		v, exact, ok, err = d.number(true)
	case c == '"':
		v, exact, ok, err = d.numericString()
	case c == 'n':
		return d.errAt(at, "answer has no Code (null)"), d.skipValue(2)
	default:
		return d.errAt(at, "Code is not a number"), d.skipValue(2)
	}
	if err != nil {
		return nil, err
	}
	if !ok || !exact {
		return d.errAt(at, "Code is not an integer in the int64 range"), nil
	}
	h.code = v
	return nil, nil
}

// requestID reads RequestId: a string, or a bare number kept as its literal text because
// ZEGO's ids (e.g. 1660645050860325000) do not fit a float64.
func (d *decoder) requestID() error {
	switch c := d.peek(); {
	case c == '"':
		start, end, plain, err := d.str()
		if err != nil {
			return err
		}
		d.ans.RequestID = d.stringOf(start, end, plain)
	case c == '-' || isDigit(c):
		start := d.pos
		if _, _, _, err := d.number(false); err != nil {
			return err
		}
		d.ans.RequestID = string(d.buf[start:d.pos])
	default:
		return d.skipValue(2)
	}
	return nil
}

// nodes reads Data or Metrics: an object, or an array whose object elements are nodes.
func (d *decoder) nodes(depth int) error {
	switch d.peek() {
	case '{':
		return d.node(depth)
	case '[':
		more, err := d.openContainer(depth, '[', ']')
		for more && err == nil {
			if d.peek() == '{' {
				err = d.node(depth + 1)
			} else {
				err = d.skipValue(depth + 1)
			}
			if err == nil {
				more, err = d.next(']')
			}
		}
		return err
	default:
		return d.skipValue(depth)
	}
}

// node reads an object that is a metric when it has Metric or Values, and a container when it
// has Metrics (both at once is allowed). Its own series is placed where its first Metric or
// Values key appears relative to the series nested in Metrics.
func (d *decoder) node(depth int) error {
	own := -1
	var seenMetric, seenValues, seenMetrics bool
	more, err := d.openContainer(depth, '{', '}')
	for more && err == nil {
		var name []byte
		if name, err = d.memberName(); err != nil {
			return err
		}
		switch {
		case !seenMetric && matchName(name, "Metric"):
			seenMetric = true
			if own < 0 {
				own = d.newSeries()
			}
			if d.peek() == '"' {
				var start, end int
				var plain bool
				if start, end, plain, err = d.str(); err == nil {
					d.ans.Series[own].Metric = d.metricName(start, end, plain)
				}
			} else {
				err = d.skipValue(depth + 1)
			}
		case !seenValues && matchName(name, "Values"):
			seenValues = true
			if own < 0 {
				own = d.newSeries()
			}
			if d.peek() == '[' {
				err = d.points(own, depth+1)
			} else {
				err = d.skipValue(depth + 1)
			}
		case !seenMetrics && matchName(name, "Metrics"):
			seenMetrics = true
			err = d.nodes(depth + 1)
		default:
			err = d.skipValue(depth + 1)
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	return err
}

// newSeries appends an empty series, reusing a slot (and its Points array) left by a previous
// DecodeInto, and returns its index. Indexes stay valid while nested series are appended;
// pointers would not.
func (d *decoder) newSeries() int {
	a := d.ans
	n := len(a.Series)
	if cap(a.Series) == 0 {
		a.Series = make([]Series, 0, len(AllMetrics))
	}
	if n < cap(a.Series) {
		a.Series = a.Series[:n+1]
		s := &a.Series[n]
		s.Metric = ""
		s.Points = s.Points[:0]
	} else {
		a.Series = append(a.Series, Series{})
	}
	// Metrics of one answer cover the same window, so the previous series' length is a good
	// capacity guess and saves most of append's regrowth on a fresh Answer.
	if s := &a.Series[n]; n > 0 && cap(s.Points) == 0 {
		if hint := len(a.Series[n-1].Points); hint > 0 {
			s.Points = make([]Point, 0, hint)
		}
	}
	return n
}

// metricName interns the known names so steady-state polls do not allocate for them.
func (d *decoder) metricName(start, end int, plain bool) string {
	raw := d.buf[start:end]
	if !plain {
		d.scratch = appendUnquoted(d.scratch[:0], raw)
		raw = d.scratch
	}
	switch string(raw) {
	case MetricPublishConcurrent:
		return MetricPublishConcurrent
	case MetricPlayConcurrent:
		return MetricPlayConcurrent
	case MetricRoomConcurrent:
		return MetricRoomConcurrent
	case MetricOnlineUser:
		return MetricOnlineUser
	case MetricMaxRoomUser:
		return MetricMaxRoomUser
	case MetricMixConcurrent:
		return MetricMixConcurrent
	}
	return string(raw)
}

// points reads a Values array into series idx. This is the hot loop: one iteration per point.
func (d *decoder) points(idx int, depth int) error {
	s := &d.ans.Series[idx] // stable: no series is appended while the points are read
	more, err := d.openContainer(depth, '[', ']')
	for more && err == nil {
		if d.peek() == '{' {
			var p Point
			var ok bool
			if p, ok, err = d.point(depth + 1); err != nil {
				return err
			}
			if ok {
				s.Points = append(s.Points, p)
			} else {
				d.ans.InvalidValues++
			}
		} else {
			if err = d.skipValue(depth + 1); err != nil {
				return err
			}
			d.ans.InvalidValues++
		}
		more, err = d.next(']')
	}
	return err
}

// point reads one {Timestamp, Value} object; ok is false when either is missing or unusable.
func (d *decoder) point(depth int) (p Point, ok bool, err error) {
	var seenTS, seenValue, tsOK, valueOK bool
	more, err := d.openContainer(depth, '{', '}')
	for more && err == nil {
		var name []byte
		// ZEGO's exact spelling, compact, is the common case: recognise it without scanning
		// and unquoting the name. Anything else takes the general path.
		switch {
		case d.consume(`"Timestamp":`):
			name = timestampName
		case d.consume(`"Value":`):
			name = valueName
		default:
			if name, err = d.memberName(); err != nil {
				return p, false, err
			}
		}
		d.skipSpace()
		switch {
		case !seenTS && matchName(name, "Timestamp"):
			seenTS = true
			p.TimestampMs, tsOK, err = d.intValue(depth+1, true)
		case !seenValue && matchName(name, "Value"):
			seenValue = true
			p.Value, valueOK, err = d.intValue(depth+1, false)
		default:
			err = d.skipValue(depth + 1)
		}
		if err == nil {
			more, err = d.next('}')
		}
	}
	return p, tsOK && valueOK, err
}

var (
	timestampName = []byte("Timestamp")
	valueName     = []byte("Value")
)

// consume skips lit if the input continues with it.
func (d *decoder) consume(lit string) bool {
	if len(d.buf)-d.pos >= len(lit) && string(d.buf[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

// intValue reads a number (or, with allowString, a string holding one) rounded to an int64.
// ok is false for other types and for values that do not fit; err only for malformed JSON.
func (d *decoder) intValue(depth int, allowString bool) (v int64, ok bool, err error) {
	switch c := d.peek(); {
	case c == '-' || isDigit(c):
		v, _, ok, err = d.number(true)
	case c == '"' && allowString:
		v, _, ok, err = d.numericString()
	default:
		err = d.skipValue(depth)
	}
	return v, ok, err
}

// numericString reads a string whose whole content must be a JSON number (e.g. "0" or
// "1660634097767"); anything else is not ok.
func (d *decoder) numericString() (v int64, exact, ok bool, err error) {
	start, end, plain, err := d.str()
	if err != nil {
		return 0, false, false, err
	}
	text := d.buf[start:end]
	if !plain {
		d.scratch = appendUnquoted(d.scratch[:0], text)
		text = d.scratch
	}
	n, v, exact, ok, valid := scanNumber(text, 0, true)
	if !valid || n != len(text) {
		return 0, false, false, nil
	}
	return v, exact, ok, nil
}

// number reads the JSON number at d.pos; see scanNumber.
func (d *decoder) number(wantValue bool) (v int64, exact, ok bool, err error) {
	end, v, exact, ok, valid := scanNumber(d.buf, d.pos, wantValue)
	if !valid {
		if end >= len(d.buf) {
			return 0, false, false, d.errAt(end, "unexpected end of input in a number")
		}
		return 0, false, false, d.errAt(end, "invalid number")
	}
	d.pos = end
	return v, exact, ok, nil
}

// twoTo53 bounds the integers that the ".000" shortcut may take without ParseFloat: above it a
// float64 would round them, and the shortcut must give what ParseFloat gives.
const twoTo53 = 1 << 53

// scanNumber reads the JSON number starting at b[i] and returns the index after it. With
// wantValue it also converts it: integer literals exactly, others through ParseFloat, rounded to
// nearest (exact reports no rounding was needed); ok is false when the value is not finite or
// outside int64. valid is false (end then points at the bad byte) when b[i:] does not start with
// a JSON number.
func scanNumber(b []byte, i int, wantValue bool) (end int, v int64, exact, ok, valid bool) {
	start := i
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	if i >= len(b) {
		return i, 0, false, false, false
	}
	var u uint64
	digits := 0
	switch c := b[i]; {
	case c == '0':
		i++
		digits = 1
	case '1' <= c && c <= '9':
		for i < len(b) && isDigit(b[i]) {
			if digits < 19 { // 19 digits always fit a uint64; longer ones go to ParseFloat
				u = u*10 + uint64(b[i]-'0')
			}
			digits++
			i++
		}
	default:
		return i, 0, false, false, false
	}
	isFloat, fracZero, hasExp := false, true, false
	if i < len(b) && b[i] == '.' {
		isFloat = true
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, 0, false, false, false
		}
		for i < len(b) && isDigit(b[i]) {
			if b[i] != '0' {
				fracZero = false
			}
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isFloat, hasExp = true, true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, 0, false, false, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if !wantValue {
		return i, 0, false, false, true
	}
	if digits <= 19 && (!isFloat || (!hasExp && fracZero && u <= twoTo53)) {
		if neg && u <= 1<<63 {
			return i, -int64(u), true, true, true // -(1<<63) wraps to MinInt64, as wanted
		}
		if !neg && u <= math.MaxInt64 {
			return i, int64(u), true, true, true
		}
	}
	// Rare: real fractions, exponents, or integers beyond int64. The string conversion of a
	// short token does not allocate.
	f, _ := strconv.ParseFloat(string(b[start:i]), 64)
	v, exact, ok = floatToInt64(f)
	return i, v, exact, ok, true
}

// floatToInt64 rounds f to nearest (halves away from zero); ok is false when the result is not
// finite or outside int64.
func floatToInt64(f float64) (v int64, exact, ok bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, false
	}
	r := math.Round(f)
	if r < -(1<<63) || r >= 1<<63 {
		return 0, false, false
	}
	return int64(r), r == f, true
}

// ---- generic JSON scanning ----

var (
	isSpace           [256]bool
	isPlainStringByte [256]bool // bytes that end nothing and need no unquoting inside a string
)

func init() {
	for _, c := range []byte{' ', '\t', '\n', '\r'} {
		isSpace[c] = true
	}
	for c := 0x20; c < 0x80; c++ {
		isPlainStringByte[c] = c != '"' && c != '\\'
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func (d *decoder) errAt(offset int, msg string) error {
	return &decodeError{offset: offset, msg: msg}
}

// errUnexpected describes the byte at d.pos (or the end of input) where want was expected.
func (d *decoder) errUnexpected(want string) error {
	if d.pos >= len(d.buf) {
		return d.errAt(d.pos, "unexpected end of input, want "+want)
	}
	return d.errAt(d.pos, fmt.Sprintf("unexpected %s, want %s", quoteByte(d.buf[d.pos]), want))
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (d *decoder) skipSpace() {
	b, i := d.buf, d.pos
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	d.pos = i
}

// peek returns the byte at d.pos, or 0 at the end of input (which no JSON value starts with).
func (d *decoder) peek() byte {
	if d.pos < len(d.buf) {
		return d.buf[d.pos]
	}
	return 0
}

// openContainer consumes the opening byte at d.pos and the space after it, and reports whether
// the container has elements (false when it closes at once).
func (d *decoder) openContainer(depth int, open, close byte) (more bool, err error) {
	if depth > maxNestingDepth {
		return false, d.errAt(d.pos, fmt.Sprintf("nested deeper than %d", maxNestingDepth))
	}
	if d.peek() != open {
		return false, d.errUnexpected(strconv.QuoteRune(rune(open)))
	}
	d.pos++
	d.skipSpace()
	if d.peek() == close {
		d.pos++
		return false, nil
	}
	return true, nil
}

// next consumes the ',' between elements (and the space after it), or the closing byte.
func (d *decoder) next(close byte) (more bool, err error) {
	d.skipSpace()
	switch d.peek() {
	case ',':
		d.pos++
		d.skipSpace()
		return true, nil
	case close:
		d.pos++
		return false, nil
	}
	return false, d.errUnexpected("',' or " + strconv.QuoteRune(rune(close)))
}

// memberName reads `"name" :` and the space after it. The returned bytes are valid until the
// next string is unquoted.
func (d *decoder) memberName() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.errUnexpected("a field name")
	}
	start, end, plain, err := d.str()
	if err != nil {
		return nil, err
	}
	name := d.buf[start:end]
	if !plain {
		d.scratch = appendUnquoted(d.scratch[:0], name)
		name = d.scratch
	}
	d.skipSpace()
	if d.peek() != ':' {
		return nil, d.errUnexpected("':'")
	}
	d.pos++
	d.skipSpace()
	return name, nil
}

// matchName compares a field name with the name ZEGO uses, ignoring ASCII case.
func matchName(got []byte, want string) bool {
	if len(got) != len(want) {
		return false
	}
	if string(got) == want {
		return true
	}
	for i := 0; i < len(got); i++ {
		if lowerASCII(got[i]) != lowerASCII(want[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// str scans the string starting at d.pos (a '"'). It returns the bounds of its raw content and
// whether that content is already the string's value (no escapes, ASCII only).
func (d *decoder) str() (start, end int, plain bool, err error) {
	b := d.buf
	i := d.pos + 1
	start, plain = i, true
	for {
		for i < len(b) && isPlainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return 0, 0, false, d.errAt(i, "unexpected end of input in a string")
		}
		switch c := b[i]; {
		case c == '"':
			d.pos = i + 1
			return start, i, plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return 0, 0, false, d.errAt(i+1, "unexpected end of input in a string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						return 0, 0, false, d.errAt(k, "unexpected end of input in a string")
					}
					if !isHex(b[k]) {
						return 0, 0, false, d.errAt(k, "invalid \\u escape in a string")
					}
				}
				i += 6
			default:
				return 0, 0, false, d.errAt(i+1, "invalid escape in a string")
			}
		case c < 0x20:
			return 0, 0, false, d.errAt(i, "control character in a string")
		default: // non-ASCII: valid as JSON; unquoting replaces invalid UTF-8, as encoding/json does
			plain = false
			i++
		}
	}
}

// stringOf returns the value of a string scanned by str.
func (d *decoder) stringOf(start, end int, plain bool) string {
	if plain {
		return string(d.buf[start:end])
	}
	d.scratch = appendUnquoted(d.scratch[:0], d.buf[start:end])
	return string(d.scratch)
}

// skipValue validates and skips the value at d.pos. depth is the nesting depth the value has if
// it is an object or array.
func (d *decoder) skipValue(depth int) error {
	switch c := d.peek(); {
	case c == '{':
		more, err := d.openContainer(depth, '{', '}')
		for more && err == nil {
			if _, err = d.memberName(); err == nil {
				if err = d.skipValue(depth + 1); err == nil {
					more, err = d.next('}')
				}
			}
		}
		return err
	case c == '[':
		more, err := d.openContainer(depth, '[', ']')
		for more && err == nil {
			if err = d.skipValue(depth + 1); err == nil {
				more, err = d.next(']')
			}
		}
		return err
	case c == '"':
		_, _, _, err := d.str()
		return err
	case c == '-' || isDigit(c):
		_, _, _, err := d.number(false)
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.errUnexpected("a JSON value")
}

func (d *decoder) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if d.pos+k >= len(d.buf) {
			return d.errAt(d.pos+k, "unexpected end of input in "+word)
		}
		if d.buf[d.pos+k] != word[k] {
			return d.errAt(d.pos+k, "invalid literal, want "+word)
		}
	}
	d.pos += len(word)
	return nil
}

// appendUnquoted appends the value of the raw content of a valid JSON string, producing what
// encoding/json produces: invalid UTF-8 and unpaired surrogates become U+FFFD.
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch s[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := rune(hex4(s[i+2 : i+6]))
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if pair := utf16.DecodeRune(r, rune(hex4(s[i+2:i+6]))); pair != utf8.RuneError {
							dst = utf8.AppendRune(dst, pair)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, s[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// hex4 decodes four hex digits already validated by str.
func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		v = v<<4 | uint16(c)
	}
	return v
}

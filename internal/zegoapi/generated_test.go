package zegoapi

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// answerGen writes random answers that stay close to ZEGO's shape but exercise every tolerance
// rule: key case and order, duplicates, Data/Metrics as object or array, odd value types, every
// number form, escapes, and unknown nested values. Some are then damaged.
type answerGen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *answerGen) pick(options ...string) string { return options[g.r.IntN(len(options))] }

func (g *answerGen) key(name string) {
	switch g.r.IntN(8) {
	case 0:
		name = strings.ToLower(name)
	case 1:
		name = strings.ToUpper(name)
	case 2: // escape the first letter
		name = `\u00` + strconv.FormatInt(int64(name[0]), 16) + name[1:]
	}
	g.b.WriteString(`"` + name + `"` + g.pick("", " ") + ":" + g.pick("", " ", "\n\t"))
}

func (g *answerGen) number() string {
	return g.pick("0", "-0", "1", "1000", "1000.0", "1e3", "1E+3", "10000e-1", "2.5", "-1.5", "0.49999",
		"1660634097767", "1.660634097767e12", "9007199254740993", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1e400", "-1e400",
		"1e-400", "123456789012345678901234567890", "5e-324", "0.0000", "1660634097767.0000",
		"9007199254740993.0", "-9007199254740993.00", "9007199254740992.0")
}

func (g *answerGen) str() string {
	return g.pick(`""`, `"online_user"`, `"publish_concurrent"`, `"x\"y"`, `"\u00e9\ud83d\ude00"`,
		`"\ud800"`, "\"\xff\"", `"1660634097767"`, `"0"`, `"1e3"`, `" 1"`, `"\u0031\u0032"`, `"中文"`)
}

// value writes any JSON value, nesting at most depth levels.
func (g *answerGen) value(depth int) {
	n := 7
	if depth <= 0 {
		n = 5
	}
	switch g.r.IntN(n) {
	case 0:
		g.b.WriteString(g.number())
	case 1:
		g.b.WriteString(g.str())
	case 2:
		g.b.WriteString(g.pick("true", "false"))
	case 3, 4:
		g.b.WriteString("null")
	case 5:
		g.b.WriteString("[")
		for i := range g.r.IntN(3) {
			if i > 0 {
				g.b.WriteString(",")
			}
			g.value(depth - 1)
		}
		g.b.WriteString("]")
	case 6:
		g.b.WriteString("{")
		for i := range g.r.IntN(3) {
			if i > 0 {
				g.b.WriteString(",")
			}
			g.key(g.pick("k", "Value", "Metric"))
			g.value(depth - 1)
		}
		g.b.WriteString("}")
	}
}

// object writes an object with some of the given fields, in random order, maybe repeated, plus
// unknown ones.
func (g *answerGen) object(fields map[string]func()) {
	names := make([]string, 0, len(fields)+2)
	for name := range fields {
		if g.r.IntN(6) > 0 {
			names = append(names, name)
		}
		if g.r.IntN(12) == 0 {
			names = append(names, name) // duplicate
		}
	}
	if g.r.IntN(3) == 0 {
		names = append(names, "Extra")
	}
	g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	g.b.WriteString("{")
	for i, name := range names {
		if i > 0 {
			g.b.WriteString(",")
		}
		g.key(name)
		if f, ok := fields[name]; ok {
			f()
		} else {
			g.value(3)
		}
	}
	g.b.WriteString("}")
}

func (g *answerGen) array(elem func()) {
	g.b.WriteString("[")
	for i := range g.r.IntN(4) {
		if i > 0 {
			g.b.WriteString(",")
		}
		elem()
	}
	g.b.WriteString("]")
}

func (g *answerGen) point() {
	if g.r.IntN(10) == 0 {
		g.value(1)
		return
	}
	g.object(map[string]func(){
		"Timestamp": func() { g.scalar(true) },
		"Value":     func() { g.scalar(false) },
	})
}

func (g *answerGen) scalar(numericString bool) {
	switch g.r.IntN(10) {
	case 0:
		g.value(1)
	case 1:
		if numericString {
			g.b.WriteString(g.str())
			return
		}
		g.b.WriteString(g.number())
	default:
		g.b.WriteString(g.number())
	}
}

func (g *answerGen) node(depth int) {
	fields := map[string]func(){
		"Metric": func() {
			if g.r.IntN(8) == 0 {
				g.value(1)
			} else {
				g.b.WriteString(g.str())
			}
		},
		"Values": func() {
			if g.r.IntN(8) == 0 {
				g.value(1)
			} else {
				g.array(g.point)
			}
		},
	}
	if depth > 0 {
		fields["Metrics"] = func() { g.nodes(depth - 1) }
	}
	g.object(fields)
}

func (g *answerGen) nodes(depth int) {
	switch g.r.IntN(6) {
	case 0:
		g.value(1)
	case 1, 2:
		g.node(depth)
	default:
		g.array(func() {
			if g.r.IntN(6) == 0 {
				g.value(1)
			} else {
				g.node(depth)
			}
		})
	}
}

func (g *answerGen) answer() []byte {
	g.b.Reset()
	if g.r.IntN(10) == 0 {
		g.b.WriteString("\xef\xbb\xbf")
	}
	g.object(map[string]func(){
		"Code": func() {
			g.b.WriteString(g.pick("0", "0", "0", "500", "30002", `"0"`, "0.0", "1.5", "null", "true", `"x"`, "1e400"))
		},
		"Message":   func() { g.value(1) },
		"RequestId": func() { g.b.WriteString(g.pick("1660645050860325000", `"abc"`, "null", "-1.5e3", "{}")) },
		"Data":      func() { g.nodes(2) },
	})
	body := []byte(g.b.String())
	switch g.r.IntN(8) { // damage some
	case 0:
		body = body[:g.r.IntN(len(body)+1)]
	case 1:
		const damage = "{}[],:\"\\ 0e.-x\x01"
		body[g.r.IntN(len(body))] = damage[g.r.IntN(len(damage))]
	}
	return body
}

func TestDecodeMatchesReferenceOnGeneratedAnswers(t *testing.T) {
	g := &answerGen{r: rand.New(rand.NewPCG(1, 2))}
	var accepted, rejected, withPoints, withInvalid int
	for range 10000 {
		body := g.answer()
		var fast Answer
		head, fastErr := decodeAnswer(body, &fast)
		ref, refErr := referenceDecode(body)
		if (fastErr == nil) != (refErr == nil) {
			t.Fatalf("acceptance differs: fast %v, reference %v\nbody %q", fastErr, refErr, body)
		}
		if fastErr != nil {
			rejected++
			continue
		}
		accepted++
		if head.code != ref.code || head.message(body) != ref.message {
			t.Fatalf("code/message differ: fast %d %q, reference %d %q\nbody %q",
				head.code, head.message(body), ref.code, ref.message, body)
		}
		if got, want := normalized(&fast), normalized(&ref.answer); !answersEqual(got, want) {
			t.Fatalf("answers differ:\nfast      %+v\nreference %+v\nbody %q", got, want, body)
		}
		for _, s := range fast.Series {
			if len(s.Points) > 0 {
				withPoints++
				break
			}
		}
		if fast.InvalidValues > 0 {
			withInvalid++
		}
	}
	// Both outcomes must be well represented, or the comparison proves little.
	t.Logf("accepted %d (%d with points, %d with invalid values), rejected %d", accepted, withPoints, withInvalid, rejected)
	if accepted < 2500 || rejected < 1000 || withPoints < 500 || withInvalid < 500 {
		t.Fatal("generator is unbalanced")
	}
}

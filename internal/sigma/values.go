package sigma

import (
	"math"
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"
)

// load returns the values of a field slot for the current event, reading
// them from the JSON (or the generic Event) on first use.
func (m *Matcher) load(slot int32) []fval {
	if m.slotLoaded[slot] == m.epoch {
		return m.slotVals[slot]
	}
	m.slotLoaded[slot] = m.epoch
	vals := m.slotVals[slot][:0]
	if m.obj != nil {
		var jv *fastjson.Value
		if m.slotSeen[slot] == m.epoch {
			jv = m.slotJV[slot]
		} else if path := m.set.nested[slot]; path != nil {
			jv = m.obj.Get(path[0])
			if jv != nil && len(path) > 1 {
				jv = jv.Get(path[1:]...)
			}
			if jv != nil {
				m.slotSeen[slot] = m.epoch
			}
		}
		if jv != nil {
			vals = m.appendJSON(vals, jv, true)
		}
	} else if m.ev != nil {
		var ok bool
		m.vbuf, ok = m.ev.Lookup(m.set.fields[slot], m.vbuf[:0])
		if ok {
			m.slotSeen[slot] = m.epoch
			for _, v := range m.vbuf {
				vals = append(vals, fval{kind: v.Kind, raw: m.stash(v.Text)})
			}
		}
	}
	m.slotVals[slot] = vals
	return vals
}

// present reports whether the field exists in the current event.
func (m *Matcher) present(slot int32) bool {
	m.load(slot)
	return m.slotSeen[slot] == m.epoch
}

func (m *Matcher) stash(s string) []byte {
	start := len(m.arena)
	m.arena = append(m.arena, s...)
	return m.arena[start:len(m.arena):len(m.arena)]
}

var (
	trueBytes  = []byte("true")
	falseBytes = []byte("false")
)

func (m *Matcher) appendJSON(vals []fval, v *fastjson.Value, top bool) []fval {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return append(vals, fval{kind: KindString, raw: b})
	case fastjson.TypeNumber:
		start := len(m.arena)
		m.arena = v.MarshalTo(m.arena)
		return append(vals, fval{kind: KindNumber, raw: m.arena[start:len(m.arena):len(m.arena)]})
	case fastjson.TypeTrue:
		return append(vals, fval{kind: KindBool, raw: trueBytes})
	case fastjson.TypeFalse:
		return append(vals, fval{kind: KindBool, raw: falseBytes})
	case fastjson.TypeNull:
		return append(vals, fval{kind: KindNull})
	case fastjson.TypeArray:
		if !top {
			return append(vals, fval{kind: KindObject})
		}
		arr, _ := v.Array()
		for _, el := range arr {
			vals = m.appendJSON(vals, el, false)
		}
		return vals
	}
	return append(vals, fval{kind: KindObject})
}

// lower returns the case-folded bytes of a value, computed once.
func (m *Matcher) lower(fv *fval) []byte {
	if !fv.lowOK {
		start := len(m.arena)
		m.arena = foldLower(m.arena, fv.raw)
		fv.low = m.arena[start:len(m.arena):len(m.arena)]
		fv.lowOK = true
	}
	return fv.low
}

// keywordValues returns every leaf value of the event, loaded once.
func (m *Matcher) keywordValues() []fval {
	if m.kwDone == m.epoch {
		return m.kwVals
	}
	m.kwDone = m.epoch
	m.kwVals = m.kwVals[:0]
	if m.obj != nil {
		m.obj.Visit(m.visitKW)
	} else if m.ev != nil {
		m.ev.Values(m.addKW)
	}
	return m.kwVals
}

func (m *Matcher) visitKW(_ []byte, v *fastjson.Value) { m.walkJSON(v) }

func (m *Matcher) walkJSON(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(m.visitKW)
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, el := range arr {
			m.walkJSON(el)
		}
	case fastjson.TypeNull:
	default:
		m.kwVals = m.appendJSON(m.kwVals, v, false)
	}
}

func (m *Matcher) addKW(v Value) {
	if v.Kind == KindObject || v.Kind == KindNull {
		return
	}
	m.kwVals = append(m.kwVals, fval{kind: v.Kind, raw: m.stash(v.Text)})
}

// evalLazy evaluates an atom the automata do not decide.
func (m *Matcher) evalLazy(a *atom) bool {
	p := a.p
	if a.slot < 0 {
		vals := m.keywordValues()
		for i := range vals {
			if m.valueMatches(p, &vals[i]) {
				return true
			}
		}
		return false
	}
	switch p.kind {
	case pExists:
		return m.present(a.slot)
	case pNull:
		vals := m.load(a.slot)
		for i := range vals {
			if vals[i].kind != KindNull {
				return false
			}
		}
		return true
	case pFieldRef:
		return m.fieldRef(a)
	}
	vals := m.load(a.slot)
	for i := range vals {
		if p.kind == pRe {
			fv := &vals[i]
			if fv.kind == KindNull || fv.kind == KindObject || len(fv.raw) < int(a.minLen) || a.run != nil && !a.run.found(fv.raw) {
				continue
			}
			if a.dotRun > 0 {
				if hasDotRun(fv.raw, a.dotRun, a.dotAll) {
					return true
				}
				continue
			}
		}
		if m.valueMatches(p, &vals[i]) {
			return true
		}
	}
	return false
}

// valueMatches tests one value against a value-level pred.
func (m *Matcher) valueMatches(p *pred, fv *fval) bool {
	if fv.kind == KindObject {
		return false
	}
	if fv.kind == KindNull {
		return p.kind == pStr && p.op == opEmpty
	}
	switch p.kind {
	case pStr:
		return m.strMatches(p, fv)
	case pRe:
		return p.re.Match(fv.raw)
	}
	return m.valueMatchesOther(p, fv)
}

func (m *Matcher) valueMatchesOther(p *pred, fv *fval) bool {
	switch p.kind {
	case pCmp:
		f, ok := parseNumber(fv.raw)
		return ok && compare(p.cmp, f, p.num)
	case pCidr:
		a, err := netip.ParseAddr(bytesString(fv.raw))
		return err == nil && p.prefix.Contains(a.Unmap())
	case pTime:
		t, ok := parseTime(fv.raw)
		return ok && compare(p.cmp, float64(timePartOf(t, p.part)), p.num)
	}
	return false
}

func (m *Matcher) strMatches(p *pred, fv *fval) bool {
	text := fv.raw
	if !p.cased {
		text = m.lower(fv)
	}
	return strOpMatch(p.op, p.lit, p.glob, text)
}

func strOpMatch(op strOp, lit string, glob []gtok, text []byte) bool {
	switch op {
	case opEq:
		return string(text) == lit
	case opContains:
		return indexBytes(text, lit) >= 0
	case opPrefix:
		return len(text) >= len(lit) && string(text[:len(lit)]) == lit
	case opSuffix:
		return len(text) >= len(lit) && string(text[len(text)-len(lit):]) == lit
	case opGlob:
		return globMatch(glob, text)
	case opAny:
		return true
	case opEmpty:
		return len(text) == 0
	}
	return false
}

func indexBytes(b []byte, s string) int {
	if len(s) == 0 {
		return 0
	}
	return bytesIndex(b, s)
}

func (m *Matcher) fieldRef(a *atom) bool {
	p := a.p
	vals := m.load(a.slot)
	refs := m.load(a.ref)
	for i := range vals {
		if vals[i].kind == KindNull || vals[i].kind == KindObject {
			continue
		}
		for j := range refs {
			if refs[j].kind == KindNull || refs[j].kind == KindObject {
				continue
			}
			var t, r []byte
			if p.cased {
				t, r = vals[i].raw, refs[j].raw
			} else {
				t, r = m.lower(&vals[i]), m.lower(&refs[j])
			}
			if strOpMatch(p.op, bytesString(r), nil, t) {
				return true
			}
		}
	}
	return false
}

// bytesString views b as a string without copying; the result must not
// outlive the current event.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func parseNumber(b []byte) (float64, bool) {
	s := bytesString(b)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return f, true
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(n), true
	}
	return 0, false
}

func compare(op cmpOp, a, b float64) bool {
	switch op {
	case cmpEq:
		return a == b
	case cmpGt:
		return a > b
	case cmpGte:
		return a >= b
	case cmpLt:
		return a < b
	case cmpLte:
		return a <= b
	}
	return false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(b []byte) (time.Time, bool) {
	s := bytesString(b)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func timePartOf(t time.Time, p timePart) int {
	switch p {
	case tMinute:
		return t.Minute()
	case tHour:
		return t.Hour()
	case tDay:
		return t.Day()
	case tWeek:
		_, w := t.ISOWeek()
		return w
	case tMonth:
		return int(t.Month())
	}
	return t.Year()
}

package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// refEngine is the straightforward reference evaluator the compiled
// matcher is checked against: every rule, every mapping entry, every
// event, interpreted directly from the rule expression over a decoded map.
type refEngine struct {
	rules []refRule
	known map[string]bool // folded channels the mapping names
}

type refRule struct {
	rule     *Rule
	variants []refVariant
}

type refVariant struct {
	channels []string // folded channels the variant applies to
	fallback bool     // also applies to events of channels the mapping does not know
	foreign  bool     // written for a product other than Windows: never on events with a Channel
	cond     *expr
}

func newRefEngine(tb testing.TB, rules []*Rule, opts Options) *refEngine {
	tb.Helper()
	mapping := opts.Mapping
	if mapping == nil {
		mapping = WindowsMapping()
	}
	ph := func(name string) ([]string, error) {
		v, ok := opts.Placeholders[name]
		if !ok {
			return nil, fmt.Errorf("placeholder %%%s%% has no values", name)
		}
		return v, nil
	}
	var filters []*Rule
	for _, r := range rules {
		if r.Filter != nil {
			filters = append(filters, r)
		}
	}
	e := &refEngine{known: map[string]bool{}}
	for _, ch := range mapping.Channels() {
		e.known[foldString(ch)] = true
	}
	for _, r := range rules {
		if r.Detection == nil || r.Filter != nil {
			continue
		}
		rr := refRule{rule: r}
		var entries []*LogsourceMapping
		for i := range mapping.Logsources {
			if mapping.Logsources[i].matches(r.Logsource) {
				entries = append(entries, &mapping.Logsources[i])
			}
		}
		if len(entries) == 0 {
			entries = []*LogsourceMapping{nil}
		}
		ok := true
		for _, ent := range entries {
			fm := func(f string) string {
				if ent != nil {
					if m, ok := ent.FieldMappings[f]; ok {
						f = m
					}
				}
				if m, ok := mapping.FieldMappings[f]; ok {
					f = m
				}
				return f
			}
			body, err := buildRuleExpr(r.Detection, fm, ph)
			if err != nil {
				ok = false
				break
			}
			parts := []*expr{body}
			for _, f := range filters {
				if filterApplies(f, r) {
					fe, err := buildRuleExpr(f.Detection, fm, ph)
					if err != nil {
						tb.Fatal(err)
					}
					parts = append(parts, fe)
				}
			}
			v := refVariant{foreign: foreignProduct(r)}
			if ent != nil {
				plain := true
				for _, c := range ent.Conditions[routeChannel] {
					if strings.ContainsAny(c, "*?") {
						plain = false
					}
				}
				v.fallback = !plain || ent.Conditions[routeChannel] == nil
				for field, vals := range ent.Conditions {
					if field == routeChannel && plain {
						for _, c := range vals {
							v.channels = append(v.channels, foldString(c))
						}
						continue
					}
					it := &item{field: field}
					for _, s := range vals {
						it.values = append(it.values, rawValue{kind: vString, text: s})
					}
					g, err := it.build(nil, nil)
					if err != nil {
						tb.Fatal(err)
					}
					parts = append(parts, g)
				}
			} else {
				v.fallback = true
				ls := r.Logsource
				if ls.Category == "" && ls.Service == "" {
					for _, ch := range mapping.productChannels(ls.Product) {
						v.channels = append(v.channels, foldString(ch))
					}
				}
			}
			// gate conditions first: they are the cheap, selective part
			parts = append(parts[1:], parts[0])
			v.cond = &expr{op: eAnd, kids: parts}
			rr.variants = append(rr.variants, v)
		}
		if ok {
			e.rules = append(e.rules, rr)
		}
	}
	return e
}

// match returns the titles+ids of the rules matching one JSON event.
func (e *refEngine) match(raw []byte) ([]*Rule, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	ev := newRefEvent(MapEvent(m))
	var out []*Rule
	for _, rr := range e.rules {
		for _, v := range rr.variants {
			if !e.applies(ev, v) {
				continue
			}
			if refEval(ev, v.cond) {
				out = append(out, rr.rule)
				break
			}
		}
	}
	return out, nil
}

func (e *refEngine) applies(ev *refEvent, v refVariant) bool {
	if ev.channel == nil {
		ch := "\x00none"
		vals, ok := ev.Lookup(routeChannel, nil)
		if ok && len(vals) == 1 && vals[0].Kind == KindString {
			ch = foldString(vals[0].Text)
		} else if ok && len(vals) > 0 {
			ch = "\x00other"
		}
		ev.channel = &ch
	}
	if !e.known[*ev.channel] {
		return v.fallback && (*ev.channel == "\x00none" || !v.foreign)
	}
	for _, c := range v.channels {
		if c == *ev.channel {
			return true
		}
	}
	return false
}

func refEval(ev *refEvent, e *expr) bool {
	switch e.op {
	case eTrue:
		return true
	case eFalse:
		return false
	case eAnd:
		for _, k := range e.kids {
			if !refEval(ev, k) {
				return false
			}
		}
		return true
	case eOr:
		for _, k := range e.kids {
			if refEval(ev, k) {
				return true
			}
		}
		return false
	case eNot:
		return !refEval(ev, e.kids[0])
	case eAtLeast:
		n := 0
		for _, k := range e.kids {
			if refEval(ev, k) {
				n++
			}
		}
		return n >= e.n
	}
	return refPred(ev, e.p)
}

func refPred(ev *refEvent, p *pred) bool {
	if p.field == "" {
		for _, v := range ev.all() {
			if v.Kind != KindNull && v.Kind != KindObject && refValue(ev, p, v) {
				return true
			}
		}
		return false
	}
	vals, present := ev.Lookup(p.field, nil)
	switch p.kind {
	case pExists:
		return present
	case pNull:
		for _, v := range vals {
			if v.Kind != KindNull {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if refValue(ev, p, v) {
			return true
		}
	}
	return false
}

func refValue(ev *refEvent, p *pred, v Value) bool {
	if v.Kind == KindObject {
		return false
	}
	if v.Kind == KindNull {
		return p.kind == pStr && p.op == opEmpty
	}
	switch p.kind {
	case pStr:
		text := v.Text
		if !p.cased {
			text = ev.fold(text)
		}
		return refStr(p.op, p.lit, p.glob, text)
	case pRe:
		return p.re.MatchString(v.Text)
	case pCmp:
		f, ok := refNumber(v.Text)
		return ok && compare(p.cmp, f, p.num)
	case pCidr:
		a, err := netip.ParseAddr(v.Text)
		return err == nil && p.prefix.Contains(a.Unmap())
	case pTime:
		t, ok := parseTime([]byte(v.Text))
		return ok && compare(p.cmp, float64(timePartOf(t, p.part)), p.num)
	case pFieldRef:
		refs, _ := ev.Lookup(p.ref, nil)
		for _, r := range refs {
			if r.Kind == KindNull || r.Kind == KindObject {
				continue
			}
			t, rt := v.Text, r.Text
			if !p.cased {
				t, rt = foldString(t), foldString(rt)
			}
			if refStr(p.op, rt, nil, t) {
				return true
			}
		}
	}
	return false
}

func refNumber(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == f {
		return f, true
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(n), true
	}
	return 0, false
}

func refStr(op strOp, lit string, glob []gtok, text string) bool {
	switch op {
	case opEq:
		return text == lit
	case opContains:
		return strings.Contains(text, lit)
	case opPrefix:
		return strings.HasPrefix(text, lit)
	case opSuffix:
		return strings.HasSuffix(text, lit)
	case opAny:
		return true
	case opEmpty:
		return text == ""
	case opGlob:
		var b strings.Builder
		b.WriteString(`(?s)\A`)
		for _, t := range glob {
			switch t.wild {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(t.lit))
			}
		}
		b.WriteString(`\z`)
		re, ok := globCache[b.String()]
		if !ok {
			re = regexp.MustCompile(b.String())
			globCache[b.String()] = re
		}
		return re.MatchString(text)
	}
	return false
}

var globCache = map[string]*regexp.Regexp{}

// refEvent memoises field lookups of one decoded event.
type refEvent struct {
	m        MapEvent
	vals     map[string][]Value
	present  map[string]bool
	leaves   []Value
	walked   bool
	stripped map[string]any
	channel  *string
	folded   map[string]string
}

func newRefEvent(m MapEvent) *refEvent {
	return &refEvent{m: m, vals: map[string][]Value{}, present: map[string]bool{}}
}

func (e *refEvent) Lookup(name string, _ []Value) ([]Value, bool) {
	if v, ok := e.vals[name]; ok {
		return v, e.present[name]
	}
	if e.stripped == nil {
		e.stripped = map[string]any{}
		for k, v := range e.m {
			if strings.Contains(k, " ") {
				e.stripped[strings.ReplaceAll(k, " ", "")] = v
			}
		}
	}
	var v []Value
	ok := false
	if x, found := e.m[name]; found {
		v, ok = appendAnyValues(nil, x, true), true
	} else if x, found := e.stripped[name]; found {
		v, ok = appendAnyValues(nil, x, true), true
	} else if strings.Contains(name, ".") {
		v, ok = e.m.Lookup(name, nil)
	}
	e.vals[name], e.present[name] = v, ok
	return v, ok
}

func (e *refEvent) fold(s string) string {
	if e.folded == nil {
		e.folded = map[string]string{}
	}
	f, ok := e.folded[s]
	if !ok {
		f = foldString(s)
		e.folded[s] = f
	}
	return f
}

func (e *refEvent) all() []Value {
	if !e.walked {
		e.walked = true
		e.m.Values(func(v Value) { e.leaves = append(e.leaves, v) })
	}
	return e.leaves
}

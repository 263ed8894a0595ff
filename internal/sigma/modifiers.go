package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Placeholder resolution for the expand modifier. A nil map means "parse
// time": placeholders are replaced by a dummy value just to validate.
type placeholderFunc func(name string) ([]string, error)

type modSet struct {
	op          strOp // opEq, opContains, opPrefix, opSuffix
	all         bool
	cased       bool
	neq         bool
	re          bool
	reFlags     string
	cidr        bool
	exists      bool
	expand      bool
	fieldref    bool
	cmp         cmpOp
	hasCmp      bool
	time        bool
	part        timePart
	transforms  []string // windash, base64, base64offset, utf16le, utf16be, utf16, wide (in order)
	opSetByName string
}

func parseMods(mods []string) (*modSet, error) {
	m := &modSet{}
	setOp := func(op strOp, name string) error {
		if m.opSetByName != "" && m.opSetByName != name {
			return fmt.Errorf("modifiers %q and %q cannot be combined", m.opSetByName, name)
		}
		m.op, m.opSetByName = op, name
		return nil
	}
	setCmp := func(c cmpOp) error {
		if m.hasCmp {
			return errors.New("only one of gt, gte, lt, lte may be used")
		}
		m.cmp, m.hasCmp = c, true
		return nil
	}
	for _, mod := range mods {
		var err error
		switch mod {
		case "contains":
			err = setOp(opContains, mod)
		case "startswith":
			err = setOp(opPrefix, mod)
		case "endswith":
			err = setOp(opSuffix, mod)
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return nil, fmt.Errorf("modifier %q is only valid after re", mod)
			}
			if !strings.Contains(m.reFlags, mod) {
				m.reFlags += mod
			}
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "expand":
			m.expand = true
		case "fieldref":
			m.fieldref = true
		case "gt":
			err = setCmp(cmpGt)
		case "gte":
			err = setCmp(cmpGte)
		case "lt":
			err = setCmp(cmpLt)
		case "lte":
			err = setCmp(cmpLte)
		case "minute", "hour", "day", "week", "month", "year":
			if m.time {
				return nil, errors.New("only one time modifier may be used")
			}
			m.time = true
			m.part = map[string]timePart{"minute": tMinute, "hour": tHour, "day": tDay, "week": tWeek, "month": tMonth, "year": tYear}[mod]
		case "windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			m.transforms = append(m.transforms, mod)
		case "":
			return nil, errors.New("empty modifier")
		default:
			return nil, fmt.Errorf("unknown modifier %q", mod)
		}
		if err != nil {
			return nil, err
		}
	}
	kinds := 0
	for _, b := range []bool{m.re, m.cidr, m.exists, m.fieldref, m.hasCmp && !m.time, m.time} {
		if b {
			kinds++
		}
	}
	if kinds > 1 {
		return nil, fmt.Errorf("modifiers %v cannot be combined", mods)
	}
	if (m.re || m.cidr || m.exists || m.hasCmp || m.time) && m.opSetByName != "" {
		return nil, fmt.Errorf("modifier %q cannot be combined with %v", m.opSetByName, mods)
	}
	if (m.re || m.cidr || m.exists || m.hasCmp || m.time || m.fieldref) && len(m.transforms) > 0 {
		return nil, fmt.Errorf("modifier %q cannot be combined with %v", m.transforms[0], mods)
	}
	return m, nil
}

// build turns the item into an expression over preds. field overrides the
// item's own field name when non-nil (field mapping); ph resolves expand
// placeholders (nil: validation only).
func (it *item) build(fieldMap func(string) string, ph placeholderFunc) (*expr, error) {
	m, err := parseMods(it.mods)
	if err != nil {
		return nil, err
	}
	field := it.field
	if fieldMap != nil && field != "" {
		field = fieldMap(field)
	}
	if field == "" && (m.exists || m.fieldref || m.cidr || m.hasCmp || m.time) {
		return nil, errors.New("keyword searches take no exists, fieldref, cidr, comparison or time modifier")
	}
	if field == "" && m.opSetByName == "" {
		// keywords are searched for anywhere in any value
		m.op = opContains
	}
	if len(it.values) == 0 {
		return &expr{op: eFalse}, nil
	}
	if m.all && len(it.values) == 1 && field != "" {
		// The spec discourages |all on one value; it is harmless.
		m.all = false
	}
	var kids []*expr
	for _, v := range it.values {
		e, err := buildValue(field, m, v, fieldMap, ph)
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
	}
	var out *expr
	if m.all {
		out = &expr{op: eAnd, kids: kids}
	} else {
		out = &expr{op: eOr, kids: kids}
	}
	if len(kids) == 1 {
		out = kids[0]
	}
	if m.neq && !m.fieldref {
		out = &expr{op: eNot, kids: []*expr{out}}
	}
	return out, nil
}

func predExpr(p *pred) *expr { return &expr{op: ePred, p: p} }

func buildValue(field string, m *modSet, v rawValue, fieldMap func(string) string, ph placeholderFunc) (*expr, error) {
	if m.exists {
		want, err := strconv.ParseBool(v.text)
		if err != nil || (v.kind != vBool && v.kind != vString) {
			return nil, fmt.Errorf("exists needs true or false, got %q", v.text)
		}
		e := predExpr(&pred{kind: pExists, field: field})
		if !want {
			e = &expr{op: eNot, kids: []*expr{e}}
		}
		return e, nil
	}
	if v.kind == vNull {
		return predExpr(&pred{kind: pNull, field: field}), nil
	}
	switch {
	case m.re:
		flags := m.reFlags
		src := v.text
		if flags != "" {
			src = "(?" + flags + ")" + src
		}
		re, err := compileRegexp(src)
		if err != nil {
			return nil, err
		}
		return predExpr(&pred{kind: pRe, field: field, re: re}), nil
	case m.cidr:
		pfx, err := parseCIDR(v.text)
		if err != nil {
			return nil, err
		}
		return predExpr(&pred{kind: pCidr, field: field, prefix: pfx}), nil
	case m.time:
		n, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			return nil, fmt.Errorf("time modifier needs a number, got %q", v.text)
		}
		return predExpr(&pred{kind: pTime, field: field, part: m.part, cmp: m.cmp, num: n}), nil
	case m.hasCmp:
		n, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			return nil, fmt.Errorf("comparison needs a number, got %q", v.text)
		}
		return predExpr(&pred{kind: pCmp, field: field, cmp: m.cmp, num: n}), nil
	case m.fieldref:
		ref := v.text
		if fieldMap != nil {
			ref = fieldMap(ref)
		}
		if ref == "" {
			return nil, errors.New("fieldref needs a field name")
		}
		op := m.op
		e := predExpr(&pred{kind: pFieldRef, field: field, ref: ref, op: op, cased: m.cased})
		if m.neq {
			e = &expr{op: eNot, kids: []*expr{e}}
		}
		return e, nil
	}
	// String matching, possibly after expansion and transformations.
	var strs [][]gtok
	if m.expand && v.kind == vString {
		texts, err := expandPlaceholders(v.text, ph)
		if err != nil {
			return nil, err
		}
		for _, t := range texts {
			strs = append(strs, parseSigmaString(t))
		}
	} else if v.kind == vString {
		strs = [][]gtok{parseSigmaString(v.text)}
	} else {
		strs = [][]gtok{{{lit: v.text}}}
	}
	for _, tr := range m.transforms {
		var err error
		strs, err = applyTransform(tr, strs)
		if err != nil {
			return nil, err
		}
	}
	var kids []*expr
	for _, s := range strs {
		kids = append(kids, predExpr(strPred(field, m.op, m.cased, s)))
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &expr{op: eOr, kids: kids}, nil
}

// parseSigmaString splits a Sigma string value into literal runs and
// wildcards; a backslash escapes *, ? and itself, and is literal otherwise.
func parseSigmaString(s string) []gtok {
	var toks []gtok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, gtok{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*', '?':
			flush()
			if c == '*' && len(toks) > 0 && toks[len(toks)-1].wild == '*' {
				continue
			}
			toks = append(toks, gtok{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return toks
}

// strPred classifies a token string under the given op into the cheapest
// pred form.
func strPred(field string, op strOp, cased bool, toks []gtok) *pred {
	t := append([]gtok(nil), toks...)
	switch op {
	case opContains:
		t = append([]gtok{{wild: '*'}}, t...)
		t = append(t, gtok{wild: '*'})
	case opPrefix:
		t = append(t, gtok{wild: '*'})
	case opSuffix:
		t = append([]gtok{{wild: '*'}}, t...)
	}
	// normalise: merge literals, collapse stars
	var n []gtok
	for _, x := range t {
		if len(n) > 0 {
			last := &n[len(n)-1]
			if x.wild == 0 && last.wild == 0 {
				last.lit += x.lit
				continue
			}
			if x.wild == '*' && last.wild == '*' {
				continue
			}
		}
		n = append(n, x)
	}
	if !cased {
		for i := range n {
			if n[i].wild == 0 {
				n[i].lit = foldString(n[i].lit)
			}
		}
	}
	p := &pred{kind: pStr, field: field, cased: cased}
	star := func(i int) bool { return i >= 0 && i < len(n) && n[i].wild == '*' }
	lit := func(i int) bool { return i >= 0 && i < len(n) && n[i].wild == 0 }
	switch {
	case len(n) == 0:
		p.op = opEmpty
	case len(n) == 1 && star(0):
		p.op = opAny
	case len(n) == 1 && lit(0):
		p.op, p.lit = opEq, n[0].lit
	case len(n) == 2 && star(0) && lit(1):
		p.op, p.lit = opSuffix, n[1].lit
	case len(n) == 2 && lit(0) && star(1):
		p.op, p.lit = opPrefix, n[0].lit
	case len(n) == 3 && star(0) && lit(1) && star(2):
		p.op, p.lit = opContains, n[1].lit
	default:
		p.op, p.glob = opGlob, n
	}
	return p
}

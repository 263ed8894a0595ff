package sigma

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// Matcher matches events against a Set. It holds per-event scratch state
// and must not be shared between goroutines; create one per goroutine
// with Set.NewMatcher.
type Matcher struct {
	set   *Set
	p     fastjson.Parser
	epoch uint32

	// event source: JSON object or generic Event
	obj *fastjson.Object
	ev  Event

	slotSeen   []uint32 // epoch when the slot was found present (JSON) or looked up (generic)
	slotJV     []*fastjson.Value
	slotLoaded []uint32
	slotVals   [][]fval

	acTrue   []uint32 // per atom: epoch when true
	trueList []int32
	evalSeen []uint32 // per lazy atom: epoch when evaluated
	evalVal  []bool
	candSeen []uint32 // per variant
	ruleSeen []uint32 // per rule
	cands    []int32

	arena  []byte
	keyBuf []byte
	lowBuf []byte
	vbuf   []Value
	kwVals    []fval
	kwDone    uint32
	kwScanned uint32
	top       []topValue // top-level values of the JSON event, in order
	scanned   []uint32 // per slot: epoch when its automaton ran
	hits   []*Rule
	err    error
}

// topValue is one top-level member of a JSON event; slot is -1 for a key
// no rule uses (or one only reachable without its spaces).
type topValue struct {
	slot int32
	v    *fastjson.Value
}

// fval is one loaded field value.
type fval struct {
	kind  ValueKind
	raw   []byte
	low   []byte
	lowOK bool
}

// NewMatcher returns a Matcher for this Set.
func (s *Set) NewMatcher() *Matcher {
	nf := len(s.fields)
	return &Matcher{
		set:        s,
		slotSeen:   make([]uint32, nf),
		slotJV:     make([]*fastjson.Value, nf),
		slotLoaded: make([]uint32, nf),
		slotVals:   make([][]fval, nf),
		scanned:    make([]uint32, nf),
		acTrue:     make([]uint32, len(s.atoms)),
		evalSeen:   make([]uint32, len(s.atoms)),
		evalVal:    make([]bool, len(s.atoms)),
		candSeen:   make([]uint32, len(s.variants)),
		ruleSeen:   make([]uint32, len(s.rules)),
	}
}

func (m *Matcher) nextEpoch() {
	m.epoch++
	if m.epoch == 0 { // wrapped: clear every stamp
		for _, s := range [][]uint32{m.slotSeen, m.slotLoaded, m.acTrue, m.evalSeen, m.candSeen, m.ruleSeen, m.scanned} {
			clear(s)
		}
		m.kwDone, m.kwScanned = 0, 0
		m.epoch = 1
	}
	m.arena = m.arena[:0]
	m.trueList = m.trueList[:0]
	m.cands = m.cands[:0]
	m.hits = m.hits[:0]
}

// MatchJSON matches one JSON object (flat, or nested for dotted field
// names) and calls fn for every matching detection rule, in rule order.
// It returns an error only when raw is not a JSON object.
func (m *Matcher) MatchJSON(raw []byte, fn func(*Rule)) error {
	m.nextEpoch()
	v, err := m.p.ParseBytes(raw)
	if err != nil {
		return err
	}
	obj, err := v.Object()
	if err != nil {
		return err
	}
	m.obj, m.ev = obj, nil
	m.top = m.top[:0]
	s := m.set
	ep := m.epoch
	obj.Visit(func(k []byte, v *fastjson.Value) {
		if i, ok := s.fieldIdx[string(k)]; ok {
			m.slotSeen[i] = ep
			m.slotJV[i] = v
			m.top = append(m.top, topValue{slot: i, v: v})
			return
		}
		// Sigma field names drop the spaces of event field names
		// ("Source Name" is SourceName); an exact key wins.
		if bytes.IndexByte(k, ' ') >= 0 {
			m.keyBuf = appendNoSpace(m.keyBuf[:0], k)
			if i, ok := s.fieldIdx[string(m.keyBuf)]; ok && m.slotSeen[i] != ep {
				m.slotSeen[i] = ep
				m.slotJV[i] = v
			}
		}
		m.top = append(m.top, topValue{slot: -1, v: v})
	})
	m.run(fn)
	return nil
}

// Match matches a generic Event; see MatchJSON.
func (m *Matcher) Match(ev Event, fn func(*Rule)) {
	m.nextEpoch()
	m.obj, m.ev = nil, ev
	m.run(fn)
}

// MatchRules is MatchJSON returning the matches in a slice that is reused
// by the next call.
func (m *Matcher) MatchRules(raw []byte) ([]*Rule, error) {
	err := m.MatchJSON(raw, m.collect)
	return m.hits, err
}

func (m *Matcher) collect(r *Rule) { m.hits = append(m.hits, r) }

func (m *Matcher) run(fn func(*Rule)) {
	s := m.set
	b := m.routeBucket()
	ep := m.epoch
	for _, sl := range b.acSlots {
		m.scanSlot(sl)
	}
	if b.kw {
		m.scanKeywords()
	}
	for _, a := range m.trueList {
		for _, v := range s.trig[a] {
			if m.candSeen[v] != ep && b.has(v) {
				m.candSeen[v] = ep
				m.cands = append(m.cands, v)
			}
		}
	}
	for _, v := range b.always {
		if m.candSeen[v] != ep {
			m.candSeen[v] = ep
			m.cands = append(m.cands, v)
		}
	}
	sortInt32(m.cands)
	for _, v := range m.cands {
		vr := s.variants[v]
		if m.ruleSeen[vr.rule] == ep {
			continue
		}
		if m.eval(&vr.cond) {
			m.ruleSeen[vr.rule] = ep
			fn(s.rules[vr.rule])
		}
	}
}

func sortInt32(a []int32) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// routeBucket picks the bucket from Channel and EventID.
func (m *Matcher) routeBucket() *bucket {
	r := &m.set.route
	chv := m.load(m.set.chSlot)
	if len(chv) != 1 || chv[0].kind != KindString {
		return r.fallback
	}
	m.lowBuf = foldLower(m.lowBuf[:0], chv[0].raw)
	cr, ok := r.channels[string(m.lowBuf)]
	if !ok {
		return r.fallback
	}
	idv := m.load(m.set.idSlot)
	if len(idv) == 1 && idv[0].kind != KindObject {
		if id, ok := atoi32(idv[0].raw); ok {
			if b, ok := cr.ids[id]; ok {
				return b
			}
			return cr.any
		}
	}
	return cr.all
}

func atoi32(b []byte) (int32, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	var n int32
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int32(c-'0')
	}
	return n, true
}

// eval evaluates a compiled condition.
func (m *Matcher) eval(n *cnode) bool {
	switch n.op {
	case ePred:
		return m.atomTrue(n.atom)
	case eAnd:
		for i := range n.kids {
			if !m.eval(&n.kids[i]) {
				return false
			}
		}
		return true
	case eOr:
		for i := range n.kids {
			if m.eval(&n.kids[i]) {
				return true
			}
		}
		return false
	case eNot:
		return !m.eval(&n.kids[0])
	case eAtLeast:
		c := int32(0)
		for i := range n.kids {
			if m.eval(&n.kids[i]) {
				c++
				if c >= n.n {
					return true
				}
			}
		}
		return false
	case eTrue:
		return true
	}
	return false
}

// scanSlot runs a field's automaton over its values, once per event.
func (m *Matcher) scanSlot(sl int32) {
	if m.scanned[sl] == m.epoch {
		return
	}
	m.scanned[sl] = m.epoch
	ac := m.set.acs[sl]
	if ac == nil {
		return
	}
	for i := range m.load(sl) {
		fv := &m.slotVals[sl][i]
		if fv.kind == KindNull || fv.kind == KindObject {
			continue
		}
		text := fv.raw
		if !isASCII(text) {
			text = m.lower(fv)
		}
		ac.scan(text, m.acTrue, m.epoch, &m.trueList)
	}
}

// scanKeywords runs the keyword automaton over every value, once per event.
// For JSON, a scalar top-level value of a known field is scanned with the
// field's automaton (which holds the keyword patterns too), once.
func (m *Matcher) scanKeywords() {
	if m.kwScanned == m.epoch {
		return
	}
	m.kwScanned = m.epoch
	if m.set.kwAC == nil {
		return
	}
	if m.obj != nil {
		for _, tv := range m.top {
			switch tv.v.Type() {
			case fastjson.TypeString, fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
				if tv.slot >= 0 && m.slotJV[tv.slot] == tv.v {
					m.scanSlot(tv.slot)
					continue
				}
			}
			m.kwVals = m.kwVals[:0]
			m.walkJSON(tv.v)
			m.scanKW(m.kwVals)
		}
		m.kwDone = 0 // kwVals now holds only part of the values
		return
	}
	m.scanKW(m.keywordValues())
}

func (m *Matcher) scanKW(vals []fval) {
	for _, fv := range vals {
		text := fv.raw
		if !isASCII(text) {
			text = foldLower(m.lowBuf[:0], text)
			m.lowBuf = text
		}
		m.set.kwAC.scan(text, m.acTrue, m.epoch, &m.trueList)
	}
}

func (m *Matcher) atomTrue(id int32) bool {
	a := m.set.atoms[id]
	if a.exact {
		if a.slot >= 0 {
			m.scanSlot(a.slot)
		} else {
			m.scanKeywords()
		}
		return m.acTrue[id] == m.epoch
	}
	if m.evalSeen[id] == m.epoch {
		return m.evalVal[id]
	}
	v := false
	if a.pf == nil || m.anyTrue(a.pf) {
		v = m.evalLazy(a)
	}
	m.evalSeen[id] = m.epoch
	m.evalVal[id] = v
	return v
}

func (m *Matcher) anyTrue(ids []int32) bool {
	for _, id := range ids {
		if m.atomTrue(id) {
			return true
		}
	}
	return false
}

func appendNoSpace(dst, k []byte) []byte {
	for _, c := range k {
		if c != ' ' {
			dst = append(dst, c)
		}
	}
	return dst
}

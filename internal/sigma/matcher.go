package sigma

import (
	"bytes"
	"slices"

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

	arena     []byte
	keyBuf    []byte
	lowBuf    []byte
	vbuf      []Value
	kwVals    []fval
	kwDone    uint32
	kwScanned uint32
	top       []topValue // top-level values of the JSON event, in order
	scanned   []uint32   // per slot: epoch when its automaton ran
	cache     []slotCache
	kwCache   map[string]*slotCache
	keySlots  []keySlot
	scanMark  []uint32 // per atom: stamp of the scan that last hit it
	scanStamp uint32
	hitBuf    []int32
	hits      []*Rule
}

// topValue is one top-level member of a JSON event; slot is -1 for a key
// no rule uses (or one only reachable without its spaces).
type topValue struct {
	slot int32
	key  []byte
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
		cache:      make([]slotCache, nf),
		kwCache:    map[string]*slotCache{},
		scanMark:   make([]uint32, len(s.atoms)),
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
	pos := 0
	obj.Visit(func(k []byte, v *fastjson.Value) {
		i, ok := m.slotOfKey(pos, k)
		pos++
		if ok {
			m.slotSeen[i] = ep
			m.slotJV[i] = v
			m.top = append(m.top, topValue{slot: i, key: k, v: v})
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
		m.top = append(m.top, topValue{slot: -1, key: k, v: v})
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
	if len(chv) == 0 {
		return r.fallback
	}
	if len(chv) != 1 || chv[0].kind != KindString {
		return r.unknownChannel
	}
	m.lowBuf = foldLower(m.lowBuf[:0], chv[0].raw)
	cr, ok := r.channels[string(m.lowBuf)]
	if !ok {
		return r.unknownChannel
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
		if n.set != nil && m.anyInSet(n) {
			return true
		}
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

// scanSlot runs a field's automaton over its values, once per event. A
// single value equal to the one the slot scanned last reuses that scan's
// hits: many fields (Provider_Name, Image, Hashes, User, …) repeat from
// event to event.
func (m *Matcher) scanSlot(sl int32) {
	if m.scanned[sl] == m.epoch {
		return
	}
	m.scanned[sl] = m.epoch
	ac := m.set.acs[sl]
	if ac == nil {
		return
	}
	vals := m.load(sl)
	if len(vals) == 1 {
		fv := &vals[0]
		if fv.kind == KindNull || fv.kind == KindObject {
			return
		}
		c := &m.cache[sl]
		if !c.valid || !bytes.Equal(c.text, fv.raw) {
			text := fv.raw
			if !isASCII(text) {
				text = m.lower(fv)
			}
			c.hits = c.hits[:0]
			ac.scan(text, m.scanMark, m.nextScanStamp(), &c.hits)
			c.text = append(c.text[:0], fv.raw...)
			c.valid = len(fv.raw) <= maxCachedValue
			if !c.valid {
				c.text = nil // do not keep a huge buffer
			}
		}
		m.markAll(c.hits)
		return
	}
	for i := range vals {
		fv := &vals[i]
		if fv.kind == KindNull || fv.kind == KindObject {
			continue
		}
		text := fv.raw
		if !isASCII(text) {
			text = m.lower(fv)
		}
		m.hitBuf = m.hitBuf[:0]
		ac.scan(text, m.scanMark, m.nextScanStamp(), &m.hitBuf)
		m.markAll(m.hitBuf)
	}
}

// maxCachedValue bounds the value a slot cache keeps.
const maxCachedValue = 64 << 10

// slotCache remembers a slot's last scanned value and the atoms it hit.
type slotCache struct {
	valid bool
	text  []byte
	hits  []int32
}

func (m *Matcher) nextScanStamp() uint32 {
	m.scanStamp++
	if m.scanStamp == 0 {
		clear(m.scanMark)
		m.scanStamp = 1
	}
	return m.scanStamp
}

// markAll marks atoms true for this event.
func (m *Matcher) markAll(atoms []int32) {
	for _, a := range atoms {
		if m.acTrue[a] != m.epoch {
			m.acTrue[a] = m.epoch
			m.trueList = append(m.trueList, a)
		}
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
				if m.scanKeywordValue(tv) {
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

// maxKeywordCache bounds the per-key cache of keyword scans of fields no
// rule names.
const maxKeywordCache = 1024

// scanKeywordValue scans one scalar top-level value of a field no rule
// names with the keyword automaton, reusing the last scan of the same key
// when the value repeats. It reports false when it did not handle tv.
func (m *Matcher) scanKeywordValue(tv topValue) bool {
	c := m.kwCache[string(tv.key)]
	if c == nil {
		if len(m.kwCache) >= maxKeywordCache {
			return false
		}
		c = &slotCache{}
		m.kwCache[string(tv.key)] = c
	}
	m.kwVals = m.appendJSON(m.kwVals[:0], tv.v, false)
	fv := &m.kwVals[0]
	if !c.valid || !bytes.Equal(c.text, fv.raw) {
		text := fv.raw
		if !isASCII(text) {
			text = foldLower(m.lowBuf[:0], text)
			m.lowBuf = text
		}
		c.hits = c.hits[:0]
		m.set.kwAC.scan(text, m.scanMark, m.nextScanStamp(), &c.hits)
		c.text = append(c.text[:0], fv.raw...)
		c.valid = len(fv.raw) <= maxCachedValue
		if !c.valid {
			c.text = nil
		}
	}
	m.markAll(c.hits)
	return true
}

func (m *Matcher) scanKW(vals []fval) {
	for _, fv := range vals {
		text := fv.raw
		if !isASCII(text) {
			text = foldLower(m.lowBuf[:0], text)
			m.lowBuf = text
		}
		m.hitBuf = m.hitBuf[:0]
		m.set.kwAC.scan(text, m.scanMark, m.nextScanStamp(), &m.hitBuf)
		m.markAll(m.hitBuf)
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

// anyInSet reports whether an atom of the node's exact set is true: the
// fields are scanned, then the event's (few) true atoms are looked up in
// the (large) sorted set.
func (m *Matcher) anyInSet(n *cnode) bool {
	for _, sl := range n.slots {
		if sl >= 0 {
			m.scanSlot(sl)
		} else {
			m.scanKeywords()
		}
	}
	if len(m.trueList) < len(n.set)/4 {
		for _, a := range m.trueList {
			if _, ok := slices.BinarySearch(n.set, a); ok {
				return true
			}
		}
		return false
	}
	for _, a := range n.set {
		if m.acTrue[a] == m.epoch {
			return true
		}
	}
	return false
}

// keySlot caches the slot of the key at one position of the previous
// event: events of one source repeat their shape, so most keys are found
// with one comparison instead of a map lookup.
type keySlot struct {
	key  []byte
	slot int32
	ok   bool
}

func (m *Matcher) slotOfKey(pos int, k []byte) (int32, bool) {
	if pos < len(m.keySlots) {
		ks := &m.keySlots[pos]
		if bytes.Equal(ks.key, k) {
			return ks.slot, ks.ok
		}
		i, ok := m.set.fieldIdx[string(k)]
		ks.key = append(ks.key[:0], k...)
		ks.slot, ks.ok = i, ok
		return i, ok
	}
	i, ok := m.set.fieldIdx[string(k)]
	if pos < maxKeySlots {
		m.keySlots = append(m.keySlots, keySlot{key: append([]byte(nil), k...), slot: i, ok: ok})
	}
	return i, ok
}

// maxKeySlots bounds the key positions cached.
const maxKeySlots = 256

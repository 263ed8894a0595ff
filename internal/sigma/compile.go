package sigma

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Options configure Compile.
type Options struct {
	// Mapping routes rules to events and renames fields; nil means the
	// built-in WindowsMapping.
	Mapping *Mapping
	// Placeholders gives the values of %name% placeholders for the expand
	// modifier. A rule using a placeholder missing here fails to compile,
	// unless EmptyMissingPlaceholders is set.
	Placeholders map[string][]string
	// EmptyMissingPlaceholders treats a placeholder missing from
	// Placeholders as an empty list of values, so the rule loads: a
	// selection on it never matches and a filter on it never excludes.
	// Set.MissingPlaceholders lists what was filled in, to warn about it.
	EmptyMissingPlaceholders bool
}

// Set is a compiled rule set. It is read-only and safe for concurrent
// use; each goroutine matches with its own Matcher.
type Set struct {
	missing  map[string][]*Rule // placeholders filled in as empty lists
	rules    []*Rule            // detection rules, by rule index
	variants []*variant
	atoms    []*atom
	fields   []string
	fieldIdx map[string]int32
	// nested holds the dotted path of each slot (nil when the name has no dot).
	nested [][]string
	acs    []*automaton // per slot, nil if no exact/prefilter atom
	kwAC   *automaton
	trig   [][]int32
	route  router
	chSlot int32
	idSlot int32

	correlations []*compiledCorrelation
	ruleLinks    map[int][]corrLink // detection rule index -> correlations it feeds
	corrLinks    map[int][]corrLink // correlation index -> correlations it feeds
	hidden       []bool             // per rule index: only feeds correlations
	ruleIndex    map[*Rule]int
	unmapped     []*Rule
	corrRules    []*Rule
}

// variant is one rule under one log source mapping entry.
type variant struct {
	rule     int32
	cond     cnode
	triggers []int32 // nil: evaluate whenever routed
	always   bool
}

type cnode struct {
	op   exprOp
	atom int32
	n    int32
	kids []cnode
	// OR nodes with many exact-atom children keep those as a sorted set,
	// checked against the event's true atoms instead of one by one.
	set   []int32
	slots []int32 // fields of the set's atoms (-1: keyword)
}

// minAtomSet is the number of exact-atom children of an OR node from which
// they are kept as a set.
const minAtomSet = 8

// Rules returns the compiled detection rules.
func (s *Set) Rules() []*Rule { return append([]*Rule(nil), s.rules...) }

// Correlations returns the compiled correlation rules.
func (s *Set) Correlations() []*Rule { return append([]*Rule(nil), s.corrRules...) }

// Unmapped returns the rules whose log source the mapping does not know;
// they are matched against every event.
func (s *Set) Unmapped() []*Rule { return append([]*Rule(nil), s.unmapped...) }

// Standalone reports whether matches of r should be reported on their own:
// false for a rule that only feeds correlation rules (generate: false).
func (s *Set) Standalone(r *Rule) bool {
	i, ok := s.ruleIndex[r]
	return !ok || !s.hidden[i]
}

type compiler struct {
	set     *Set
	opts    Options
	mapping *Mapping
	atomIdx map[string]int32
	rule    *Rule // the rule being compiled
}

// Compile compiles detection, correlation and filter rules into one Set.
// Rules that cannot be compiled (an unknown placeholder, a correlation
// naming an unknown rule) are left out and reported in the returned
// error, which joins one *LoadError per rule; the Set holds the rest.
func Compile(rules []*Rule, opts Options) (*Set, error) {
	c := &compiler{
		set:     &Set{fieldIdx: map[string]int32{}, ruleIndex: map[*Rule]int{}},
		opts:    opts,
		mapping: opts.Mapping,
		atomIdx: map[string]int32{},
	}
	if c.mapping == nil {
		c.mapping = WindowsMapping()
	}
	s := c.set
	s.chSlot = c.slot(routeChannel)
	s.idSlot = c.slot(routeEventID)
	var errs []error
	var filters []*Rule
	var detections []*Rule
	for _, r := range rules {
		switch {
		case r.Filter != nil:
			filters = append(filters, r)
		case r.Correlation != nil:
			s.corrRules = append(s.corrRules, r)
		case r.Detection != nil:
			detections = append(detections, r)
		}
	}
	type routed struct {
		v        int32
		routes   []routeKey
		fallback bool
		foreign  bool
	}
	var all []routed
	for _, r := range detections {
		vs, unmapped, err := c.compileRule(r, filters)
		if err != nil {
			errs = append(errs, &LoadError{File: r.File, Line: r.Line, Title: r.Title, ID: r.ID, Err: err})
			continue
		}
		idx := int32(len(s.rules))
		s.ruleIndex[r] = int(idx)
		s.rules = append(s.rules, r)
		if unmapped {
			s.unmapped = append(s.unmapped, r)
		}
		for _, v := range vs {
			v.v.rule = idx
			vi := int32(len(s.variants))
			s.variants = append(s.variants, v.v)
			all = append(all, routed{v: vi, routes: v.routes, fallback: v.fallback, foreign: foreignProduct(r)})
		}
	}
	c.finishAtoms()
	for vi, v := range s.variants {
		c.chooseTriggers(v)
		for _, a := range v.triggers {
			s.trig[a] = append(s.trig[a], int32(vi))
		}
	}
	// routing
	rb := newRouteBuilder()
	for _, ch := range c.mapping.Channels() {
		rb.addChannel(foldString(ch))
	}
	for _, r := range all {
		if r.fallback {
			rb.addFallback(r.v, r.foreign)
		}
		for _, k := range r.routes {
			rb.add(k, r.v)
		}
	}
	s.route = rb.build(c)
	s.hidden = make([]bool, len(s.rules))
	errs = append(errs, c.compileCorrelations()...)
	return s, errors.Join(errs...)
}

// foreignProduct reports whether r is written for a product other than
// Windows (zeek, linux, aws, …): such rules never apply to Windows events,
// even of a channel the mapping does not know.
func foreignProduct(r *Rule) bool {
	p := r.Logsource.Product
	return p != "" && !strings.EqualFold(p, "windows")
}

// MissingPlaceholderError is a rule's use of an expand placeholder that
// Options.Placeholders does not define.
type MissingPlaceholderError struct{ Name string }

func (e *MissingPlaceholderError) Error() string {
	return fmt.Sprintf("placeholder %%%s%% has no values (set Options.Placeholders[%q])", e.Name, e.Name)
}

// MissingPlaceholders lists, by placeholder name, the rules that used a
// placeholder Options.Placeholders did not define (only with
// EmptyMissingPlaceholders; otherwise those rules failed to compile).
func (s *Set) MissingPlaceholders() map[string][]*Rule { return s.missing }

func (s *Set) noteMissing(name string, r *Rule) {
	if s.missing == nil {
		s.missing = map[string][]*Rule{}
	}
	for _, x := range s.missing[name] {
		if x == r {
			return
		}
	}
	s.missing[name] = append(s.missing[name], r)
}

// builtVariant says where a variant applies: its Channel routes, and
// (fallback) events whose Channel the mapping does not know.
type builtVariant struct {
	v        *variant
	routes   []routeKey
	fallback bool
}

func (c *compiler) compileRule(r *Rule, filters []*Rule) ([]builtVariant, bool, error) {
	var entries []*LogsourceMapping
	for i := range c.mapping.Logsources {
		if c.mapping.Logsources[i].matches(r.Logsource) {
			entries = append(entries, &c.mapping.Logsources[i])
		}
	}
	unmapped := len(entries) == 0 && (r.Logsource.Category != "" || r.Logsource.Service != "")
	if len(entries) == 0 {
		entries = []*LogsourceMapping{nil}
	}
	c.rule = r
	ph := c.placeholders()
	var out []builtVariant
	for _, e := range entries {
		fm := c.fieldMapper(e)
		body, err := buildRuleExpr(r.Detection, fm, ph)
		if err != nil {
			return nil, false, err
		}
		parts := []*expr{body}
		for _, f := range filters {
			if !filterApplies(f, r) {
				continue
			}
			fe, err := buildRuleExpr(f.Detection, fm, ph)
			if err != nil {
				return nil, false, fmt.Errorf("filter %q: %w", f.Title, err)
			}
			parts = append(parts, fe)
		}
		var routes []routeKey
		fallback := false
		if e != nil {
			gate, rs, err := c.gate(e)
			if err != nil {
				return nil, false, err
			}
			if gate != nil {
				parts = append(parts, gate)
			}
			routes, fallback = rs, rs == nil
		} else {
			// no entry: a product-wide (or log-source-less) rule applies to
			// every channel of its product; an unmapped one only to events
			// of unknown channels
			fallback = true
			if !unmapped {
				for _, ch := range c.mapping.productChannels(r.Logsource.Product) {
					routes = append(routes, routeKey{ch: foldString(ch), id: -1})
				}
			}
		}
		full := simplify(mkAnd(parts))
		v := &variant{cond: c.lower(full)}
		routes = refineRoutes(routes, full)
		out = append(out, builtVariant{v: v, routes: routes, fallback: fallback})
	}
	return out, unmapped, nil
}

func filterApplies(f *Rule, r *Rule) bool {
	fl := f.Logsource
	if fl.Category != "" && !strings.EqualFold(fl.Category, r.Logsource.Category) ||
		fl.Product != "" && !strings.EqualFold(fl.Product, r.Logsource.Product) ||
		fl.Service != "" && !strings.EqualFold(fl.Service, r.Logsource.Service) {
		return false
	}
	if len(f.Filter.Rules) == 0 {
		return true
	}
	for _, ref := range f.Filter.Rules {
		if ref != "" && (ref == r.ID || ref == r.Name) {
			return true
		}
	}
	return false
}

func (c *compiler) placeholders() placeholderFunc {
	return func(name string) ([]string, error) {
		v, ok := c.opts.Placeholders[name]
		if !ok {
			if c.opts.EmptyMissingPlaceholders {
				c.set.noteMissing(name, c.rule)
				return []string{}, nil
			}
			return nil, &MissingPlaceholderError{Name: name}
		}
		return v, nil
	}
}

func (c *compiler) fieldMapper(e *LogsourceMapping) func(string) string {
	return func(f string) string {
		if e != nil {
			if m, ok := e.FieldMappings[f]; ok {
				f = m
			}
		}
		if m, ok := c.mapping.FieldMappings[f]; ok {
			f = m
		}
		return f
	}
}

// gate turns a mapping entry's conditions into routes (Channel × EventID)
// and an expression for the other conditions.
func (c *compiler) gate(e *LogsourceMapping) (*expr, []routeKey, error) {
	var parts []*expr
	chans, hasCh := e.Conditions[routeChannel]
	ids, hasID := e.Conditions[routeEventID]
	var routes []routeKey
	if hasCh {
		plain := true
		for _, ch := range chans {
			if strings.ContainsAny(ch, "*?") {
				plain = false
			}
		}
		if plain {
			for _, ch := range chans {
				if hasID {
					for _, id := range ids {
						n, err := strconv.Atoi(id)
						if err != nil {
							return nil, nil, fmt.Errorf("mapping: EventID %q is not a number", id)
						}
						routes = append(routes, routeKey{ch: foldString(ch), id: int32(n)})
					}
				} else {
					routes = append(routes, routeKey{ch: foldString(ch), id: -1})
				}
			}
		}
	}
	fields := make([]string, 0, len(e.Conditions))
	for f := range e.Conditions {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, field := range fields {
		vals := e.Conditions[field]
		// Channel is decided by the router; EventID stays in the
		// expression too, so routing is only ever an optimisation.
		if routes != nil && field == routeChannel {
			continue
		}
		it := &item{field: field}
		for _, v := range vals {
			it.values = append(it.values, rawValue{kind: vString, text: v})
		}
		ex, err := it.build(nil, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping condition %s: %w", field, err)
		}
		parts = append(parts, ex)
	}
	if len(parts) == 0 {
		return nil, routes, nil
	}
	return mkAnd(parts), routes, nil
}

// refineRoutes narrows (channel, any) routes to the EventIDs the rule's
// condition requires, when it requires some.
func refineRoutes(routes []routeKey, e *expr) []routeKey {
	ids, ok := requiredEventIDs(e)
	if !ok || len(ids) == 0 || len(ids) > 64 {
		return routes
	}
	var out []routeKey
	for _, r := range routes {
		if r.id >= 0 {
			if ids[r.id] {
				out = append(out, r)
			}
			continue
		}
		for id := range ids {
			out = append(out, routeKey{ch: r.ch, id: id})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ch != out[j].ch {
			return out[i].ch < out[j].ch
		}
		return out[i].id < out[j].id
	})
	return out
}

// requiredEventIDs returns a set S with e ⇒ EventID ∈ S.
func requiredEventIDs(e *expr) (map[int32]bool, bool) {
	switch e.op {
	case eFalse:
		return map[int32]bool{}, true
	case ePred:
		p := e.p
		if p.kind == pStr && p.field == routeEventID && p.op == opEq {
			n, err := strconv.Atoi(p.lit)
			if err == nil && strconv.Itoa(n) == p.lit {
				return map[int32]bool{int32(n): true}, true
			}
		}
	case eAnd:
		var best map[int32]bool
		for _, k := range e.kids {
			if s, ok := requiredEventIDs(k); ok && (best == nil || len(s) < len(best)) {
				best = s
			}
		}
		return best, best != nil
	case eOr, eAtLeast:
		out := map[int32]bool{}
		for _, k := range e.kids {
			s, ok := requiredEventIDs(k)
			if !ok {
				return nil, false
			}
			for id := range s {
				out[id] = true
			}
		}
		return out, true
	}
	return nil, false
}

// simplify flattens nested and/or, folds constants and double negation.
func simplify(e *expr) *expr {
	switch e.op {
	case eNot:
		k := simplify(e.kids[0])
		switch k.op {
		case eNot:
			return k.kids[0]
		case eTrue:
			return &expr{op: eFalse}
		case eFalse:
			return &expr{op: eTrue}
		}
		return &expr{op: eNot, kids: []*expr{k}}
	case eAnd, eOr:
		var kids []*expr
		for _, k := range e.kids {
			k = simplify(k)
			if k.op == e.op {
				kids = append(kids, k.kids...)
				continue
			}
			if e.op == eAnd {
				if k.op == eTrue {
					continue
				}
				if k.op == eFalse {
					return k
				}
			} else {
				if k.op == eFalse {
					continue
				}
				if k.op == eTrue {
					return k
				}
			}
			kids = append(kids, k)
		}
		if len(kids) == 0 {
			if e.op == eAnd {
				return &expr{op: eTrue}
			}
			return &expr{op: eFalse}
		}
		if len(kids) == 1 {
			return kids[0]
		}
		return &expr{op: e.op, kids: kids}
	case eAtLeast:
		var kids []*expr
		for _, k := range e.kids {
			kids = append(kids, simplify(k))
		}
		return &expr{op: eAtLeast, n: e.n, kids: kids}
	}
	return e
}

func (c *compiler) slot(name string) int32 {
	if i, ok := c.set.fieldIdx[name]; ok {
		return i
	}
	i := int32(len(c.set.fields))
	c.set.fields = append(c.set.fields, name)
	c.set.fieldIdx[name] = i
	var parts []string
	if strings.Contains(name, ".") {
		parts = strings.Split(name, ".")
	}
	c.set.nested = append(c.set.nested, parts)
	return i
}

// intern returns the atom id of p.
func (c *compiler) intern(p *pred) int32 {
	k := p.key()
	if i, ok := c.atomIdx[k]; ok {
		return i
	}
	a := &atom{p: p, slot: -1, ref: -1, cost: predCost(p)}
	if p.field != "" {
		a.slot = c.slot(p.field)
	}
	if p.kind == pFieldRef {
		a.ref = c.slot(p.ref)
	}
	i := int32(len(c.set.atoms))
	c.set.atoms = append(c.set.atoms, a)
	c.atomIdx[k] = i
	return i
}

// lower converts an expression to the compiled node form.
func (c *compiler) lower(e *expr) cnode {
	switch e.op {
	case ePred:
		return cnode{op: ePred, atom: c.intern(e.p)}
	case eTrue, eFalse:
		return cnode{op: e.op}
	}
	n := cnode{op: e.op, n: int32(e.n)}
	if e.op == eOr {
		exact := 0
		for _, k := range e.kids {
			if k.op == ePred && acAble(k.p) {
				exact++
			}
		}
		if exact >= minAtomSet {
			slots := map[int32]bool{}
			for _, k := range e.kids {
				if k.op == ePred && acAble(k.p) {
					a := c.intern(k.p)
					n.set = append(n.set, a)
					slots[c.set.atoms[a].slot] = true
					continue
				}
				n.kids = append(n.kids, c.lower(k))
			}
			sort.Slice(n.set, func(i, j int) bool { return n.set[i] < n.set[j] })
			n.set = dedupInt32(n.set)
			for sl := range slots {
				n.slots = append(n.slots, sl)
			}
			sort.Slice(n.slots, func(i, j int) bool { return n.slots[i] < n.slots[j] })
		}
	}
	if n.set == nil {
		for _, k := range e.kids {
			n.kids = append(n.kids, c.lower(k))
		}
	}
	if n.op == eAnd || n.op == eOr {
		sort.SliceStable(n.kids, func(i, j int) bool { return c.nodeCost(&n.kids[i]) < c.nodeCost(&n.kids[j]) })
	}
	return n
}

func (c *compiler) nodeCost(n *cnode) int32 {
	if n.op == ePred {
		return c.set.atoms[n.atom].cost
	}
	t := int32(1 + len(n.set))
	for i := range n.kids {
		t += c.nodeCost(&n.kids[i])
	}
	return t
}

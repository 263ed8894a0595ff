package sigma

import (
	"regexp/syntax"
)

// finishAtoms classifies atoms as exact or lazy, adds prefilter atoms and
// builds the automata.
func (c *compiler) finishAtoms() {
	s := c.set
	n := len(s.atoms) // prefilter atoms appended below are exact
	for i := 0; i < n; i++ {
		a := s.atoms[i]
		if acAble(a.p) {
			a.exact = true
			a.cost = 1
			continue
		}
		if a.p.kind == pRe {
			if re, err := syntax.Parse(a.p.re.String(), syntax.Perl); err == nil {
				a.run = reClassRun(re) // before Simplify, which unrolls x{n}
				a.dotRun, a.dotAll = reDotRun(re)
				a.minLen = int32(reMinLen(re.Simplify()))
			}
		}
		lits, op := prefilterLits(a.p)
		for _, l := range lits {
			pf := c.intern(&pred{kind: pStr, field: a.p.field, op: op, lit: l})
			s.atoms[pf].exact = true
			s.atoms[pf].cost = 1
			a.pf = append(a.pf, pf)
		}
	}
	builders := map[int32]*acBuilder{}
	kw := newACBuilder()
	for i, a := range s.atoms {
		if !a.exact {
			continue
		}
		b := kw
		if a.slot >= 0 {
			if builders[a.slot] == nil {
				builders[a.slot] = newACBuilder()
			}
			b = builders[a.slot]
		}
		b.add(a.p.lit, int32(i), a.p.op)
	}
	s.acs = make([]*automaton, len(s.fields))
	if len(kw.lits) > 0 {
		s.kwAC = kw.build()
		// Every field automaton also finds the keyword patterns, so a
		// keyword search re-uses the scans of the fields it already did.
		for slot := range s.acs {
			s.acs[slot] = s.kwAC
		}
		for _, b := range builders {
			for li, l := range kw.lits {
				for _, e := range kw.entries[li] {
					b.add(l, e.atom, e.op)
				}
			}
		}
	}
	for slot, b := range builders {
		s.acs[slot] = b.build()
	}
	s.trig = make([][]int32, len(s.atoms))
}

// chooseTriggers picks the atoms that gate a variant's evaluation.
func (c *compiler) chooseTriggers(v *variant) {
	atoms, _, ok := c.need(&v.cond)
	if !ok {
		v.always = true
		return
	}
	seen := map[int32]bool{}
	for _, a := range atoms {
		if seen[a] {
			continue
		}
		seen[a] = true
		v.triggers = append(v.triggers, a)
	}
}

// need returns exact atoms one of which is true whenever n is true.
func (c *compiler) need(n *cnode) ([]int32, float64, bool) {
	switch n.op {
	case eFalse:
		return nil, 0, true
	case ePred:
		a := c.set.atoms[n.atom]
		if a.exact {
			return []int32{n.atom}, atomScore(a.p), true
		}
		if len(a.pf) > 0 {
			sc := 0.0
			for _, pf := range a.pf {
				sc += atomScore(c.set.atoms[pf].p)
			}
			return a.pf, sc, true
		}
		return nil, 0, false
	case eAnd:
		var best []int32
		bestScore, found := 0.0, false
		for i := range n.kids {
			as, sc, ok := c.need(&n.kids[i])
			if ok && (!found || sc < bestScore) {
				best, bestScore, found = as, sc, true
			}
		}
		return best, bestScore, found
	case eOr, eAtLeast:
		all := append([]int32(nil), n.set...)
		total := 0.0
		for _, a := range n.set {
			total += atomScore(c.set.atoms[a].p)
		}
		for i := range n.kids {
			as, sc, ok := c.need(&n.kids[i])
			if !ok {
				return nil, 0, false
			}
			all = append(all, as...)
			total += sc
		}
		return all, total, true
	}
	return nil, 0, false
}

package sigma

import (
	"regexp/syntax"
	"strings"
)

// atom is one interned pred of the compiled set. Atoms whose truth the
// field automaton decides on its own are "exact"; the others are
// evaluated lazily, and only after their prefilter atoms (if any) hit.
type atom struct {
	p     *pred
	slot  int32   // field slot; -1 for keyword atoms
	ref   int32   // pFieldRef: slot of the other field
	exact bool    // decided by the automaton
	pf    []int32 // prefilter atoms: at least one must be true
	cost  int32   // relative evaluation cost, for ordering
}

func acAble(p *pred) bool {
	if p.kind != pStr || p.cased || p.lit == "" {
		return false
	}
	switch p.op {
	case opEq, opContains, opPrefix, opSuffix:
		return true
	}
	return false
}

// prefilterLits returns case-folded literals one of which must occur in
// any value the pred accepts, with the op the occurrence must satisfy.
func prefilterLits(p *pred) ([]string, strOp) {
	switch p.kind {
	case pStr:
		switch p.op {
		case opEq, opContains, opPrefix, opSuffix:
			if p.cased && p.lit != "" {
				return []string{foldString(p.lit)}, p.op
			}
		case opGlob:
			l := longestLiteral(p.glob)
			if p.cased {
				l = foldString(l)
			}
			if len(l) >= 2 {
				return []string{l}, opContains
			}
		}
	case pRe:
		re, err := syntax.Parse(p.re.String(), syntax.Perl)
		if err != nil {
			return nil, 0
		}
		lits := reLiterals(re.Simplify())
		if len(lits) == 0 {
			return nil, 0
		}
		for i := range lits {
			lits[i] = foldString(lits[i])
		}
		return lits, opContains
	}
	return nil, 0
}

const maxRegexLits = 16

// reLiterals returns literals one of which every match must contain, or
// nil when none can be derived.
func reLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if len(s) < 2 {
			return nil
		}
		return []string{s}
	case syntax.OpCapture, syntax.OpPlus:
		return reLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		consider := func(ls []string) {
			if len(ls) == 0 {
				return
			}
			m := len(ls[0])
			for _, l := range ls {
				if len(l) < m {
					m = len(l)
				}
			}
			if m > bestLen {
				best, bestLen = ls, m
			}
		}
		var run strings.Builder
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == re.Sub[0].Flags&syntax.FoldCase {
				run.WriteString(string(sub.Rune))
				continue
			}
			if run.Len() >= 2 {
				consider([]string{run.String()})
			}
			run.Reset()
			consider(reLiterals(sub))
		}
		if run.Len() >= 2 {
			consider([]string{run.String()})
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ls := reLiterals(sub)
			if len(ls) == 0 {
				return nil
			}
			out = append(out, ls...)
			if len(out) > maxRegexLits {
				return nil
			}
		}
		return out
	}
	return nil
}

// score estimates how often an exact atom is true: lower is rarer.
func atomScore(p *pred) float64 {
	if p.field == routeEventID || p.field == routeChannel {
		return 1e6 // routing already selects on these: true for every routed event
	}
	l := float64(len(p.lit))
	if l == 0 {
		return 1
	}
	f := 1.0
	switch p.op {
	case opEq:
		f = 0.3
	case opPrefix:
		f = 0.5
	case opSuffix:
		f = 0.6
	}
	return f / (l * l)
}

func predCost(p *pred) int32 {
	switch p.kind {
	case pStr:
		if p.op == opGlob {
			return 20
		}
		return 5
	case pRe:
		return 100
	case pExists, pNull:
		return 2
	}
	return 30
}

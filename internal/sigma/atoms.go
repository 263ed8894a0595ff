package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
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
	// regular expressions: necessary conditions checked before running it
	run    *classRun
	minLen int32
	// dotRun > 0: the whole expression is .{n,} — n characters (not
	// newlines unless dotAll) in a row; checked without the regexp engine,
	// whose automaton for a large n is slow.
	dotRun int
	dotAll bool
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

// rareChars are single characters worth a prefilter of their own.
const rareChars = "`{}|^~@#!<>[];&+$"

// reLiterals returns literals one of which every match must contain, or
// nil when none can be derived.
func reLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if len(s) < 2 && !(len(s) == 1 && strings.ContainsRune(rareChars, re.Rune[0])) {
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
			if run.Len() >= 2 || (run.Len() == 1 && strings.Contains(rareChars, run.String())) {
				consider([]string{run.String()})
			}
			run.Reset()
			consider(reLiterals(sub))
		}
		if run.Len() >= 2 || (run.Len() == 1 && strings.Contains(rareChars, run.String())) {
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
	if lowCardinality[p.field] {
		// the same few values in most events: a poor trigger, and one that
		// makes every event scan the field
		return 1e3 * atomLitScore(p)
	}
	return atomLitScore(p)
}

// lowCardinality names event fields that take few distinct values.
var lowCardinality = map[string]bool{
	"Provider_Name": true, "Provider_Guid": true, "Level": true, "Task": true, "Opcode": true,
	"Keywords": true, "Version": true, "EventType": true, "LogonType": true, "Status": true,
	"ObjectType": true, "ObjectServer": true, "AccessMask": true, "IntegrityLevel": true,
	"Signed": true, "SignatureStatus": true, "State": true, "Type": true, "Protocol": true,
	"Initiated": true, "AuthenticationPackageName": true, "LogonProcessName": true,
	"ServiceType": true, "StartType": true, "AccountType": true, "ElevatedToken": true,
	"ImpersonationLevel": true, "SubStatus": true, "FailureReason": true, "Source": true,
}

func atomLitScore(p *pred) float64 {
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

// classRun is a necessary condition of a regular expression: the text has
// n consecutive bytes from set (ASCII only).
type classRun struct {
	set [4]uint64
	n   int
}

func (c *classRun) has(b byte) bool { return c.set[b>>6]&(1<<(b&63)) != 0 }

// found reports whether text holds the run.
func (c *classRun) found(text []byte) bool {
	run := 0
	for _, b := range text {
		if c.has(b) {
			run++
			if run >= c.n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

const minClassRun = 8

// reClassRun finds the longest run of one ASCII character class that
// every match must contain, e.g. [a-f0-9]{64}.
func reClassRun(re *syntax.Regexp) *classRun {
	var best *classRun
	var walk func(r *syntax.Regexp, required bool)
	walk = func(r *syntax.Regexp, required bool) {
		switch r.Op {
		case syntax.OpRepeat, syntax.OpPlus:
			min := 1
			if r.Op == syntax.OpRepeat {
				min = r.Min
			}
			sub := r.Sub[0]
			if required && min >= minClassRun && (sub.Op == syntax.OpCharClass || sub.Op == syntax.OpLiteral && len(sub.Rune) == 1) {
				if cr := asciiClass(sub); cr != nil && (best == nil || min > best.n) {
					cr.n = min
					best = cr
				}
			}
			walk(sub, required && min >= 1)
		case syntax.OpConcat, syntax.OpCapture:
			for _, s := range r.Sub {
				walk(s, required)
			}
		}
	}
	walk(re, true)
	return best
}

func asciiClass(r *syntax.Regexp) *classRun {
	cr := &classRun{}
	add := func(lo, hi rune) bool {
		if hi > 127 {
			return false
		}
		for c := lo; c <= hi; c++ {
			b := byte(c)
			cr.set[b>>6] |= 1 << (b & 63)
			if r.Flags&syntax.FoldCase != 0 {
				for _, f := range []byte{byte(unicodeLowerASCII(c)), byte(unicodeUpperASCII(c))} {
					cr.set[f>>6] |= 1 << (f & 63)
				}
			}
		}
		return true
	}
	if r.Op == syntax.OpLiteral {
		if !add(r.Rune[0], r.Rune[0]) {
			return nil
		}
		return cr
	}
	for i := 0; i+1 < len(r.Rune); i += 2 {
		if !add(r.Rune[i], r.Rune[i+1]) {
			return nil
		}
	}
	return cr
}

func unicodeLowerASCII(c rune) rune {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func unicodeUpperASCII(c rune) rune {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

// reMinLen is a lower bound of the byte length of any match.
func reMinLen(r *syntax.Regexp) int {
	switch r.Op {
	case syntax.OpLiteral:
		return len(r.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture:
		return reMinLen(r.Sub[0])
	case syntax.OpPlus:
		return reMinLen(r.Sub[0])
	case syntax.OpRepeat:
		return r.Min * reMinLen(r.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range r.Sub {
			n += reMinLen(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range r.Sub {
			if m := reMinLen(s); n < 0 || m < n {
				n = m
			}
		}
		if n < 0 {
			return 0
		}
		return n
	}
	return 0
}

// reDotRun recognises an expression that is exactly .{n,} (n >= 2).
func reDotRun(r *syntax.Regexp) (int, bool) {
	for r.Op == syntax.OpCapture && len(r.Sub) == 1 {
		r = r.Sub[0]
	}
	if r.Op != syntax.OpRepeat || r.Max != -1 || r.Min < 2 {
		return 0, false
	}
	switch r.Sub[0].Op {
	case syntax.OpAnyCharNotNL:
		return r.Min, false
	case syntax.OpAnyChar:
		return r.Min, true
	}
	return 0, false
}

// hasDotRun reports whether text holds n characters in a row that are
// not newlines (or any n characters when dotAll).
func hasDotRun(text []byte, n int, dotAll bool) bool {
	run := 0
	for i := 0; i < len(text); {
		c := text[i]
		size := 1
		if c >= utf8.RuneSelf {
			_, size = utf8.DecodeRune(text[i:])
		}
		i += size
		if c == '\n' && !dotAll {
			run = 0
			continue
		}
		run++
		if run >= n {
			return true
		}
	}
	return false
}

package sigma

// automaton is an Aho-Corasick automaton over case-folded bytes: ASCII
// upper-case letters share the class of their lower-case form, so ASCII
// text needs no lowering pass. States are numbered in breadth-first order;
// the first nd (the shallow ones, where a scan spends most of its time)
// have dense, fully resolved transition rows over byte classes, so the
// table stays cache-sized; deeper states keep their trie children and a
// failure link. A negative transition (^state) marks a target with
// outputs.
type automaton struct {
	class    [256]uint16
	nclass   int32
	nd       int32   // number of dense states
	dense    []int32 // nd rows of nclass targets
	sfirst   []int32 // per sparse state: start of its children; sfirst[k+1] is the end
	sclass   []uint16
	snext    []int32
	sfail    []int32 // per sparse state: failure link
	outIdx   []int32 // per state: start in outList; outIdx[s+1] is the end
	outList  []int32 // pattern ids
	pats     []acPattern
	entries  []acEntry
	nonASCII bool // some pattern has a byte >= 0x80
}

// denseBudget bounds the dense part of an automaton (bytes).
const denseBudget = 32 << 10

type acPattern struct {
	n          int32 // pattern length in bytes
	start, end int32 // entries range
}

// acEntry is what a pattern occurrence means for one atom.
type acEntry struct {
	atom int32
	op   strOp // opContains, opPrefix, opSuffix, opEq
}

type acBuilder struct {
	pats    map[string]int
	lits    []string
	entries [][]acEntry
}

func newACBuilder() *acBuilder { return &acBuilder{pats: map[string]int{}} }

// add registers lit (already case-folded, non-empty) for atom with op.
func (b *acBuilder) add(lit string, atom int32, op strOp) {
	i, ok := b.pats[lit]
	if !ok {
		i = len(b.lits)
		b.pats[lit] = i
		b.lits = append(b.lits, lit)
		b.entries = append(b.entries, nil)
	}
	for _, e := range b.entries[i] {
		if e.atom == atom && e.op == op {
			return
		}
	}
	b.entries[i] = append(b.entries[i], acEntry{atom: atom, op: op})
}

func (b *acBuilder) build() *automaton {
	a := &automaton{}
	used := [256]bool{}
	for _, l := range b.lits {
		for i := 0; i < len(l); i++ {
			used[l[i]] = true
			if l[i] >= 0x80 {
				a.nonASCII = true
			}
		}
	}
	next := uint16(1)
	for c := 0; c < 256; c++ {
		if used[c] {
			a.class[c] = next
			next++
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+('a'-'A')]
	}
	a.nclass = int32(next)
	nc := int(a.nclass)

	// trie with sparse children
	type kid struct {
		c uint16
		n int32
	}
	kids := [][]kid{nil}
	outs := [][]int32{nil}
	child := func(s int32, c uint16) int32 {
		for _, k := range kids[s] {
			if k.c == c {
				return k.n
			}
		}
		return -1
	}
	for pi, l := range b.lits {
		st := int32(0)
		for i := 0; i < len(l); i++ {
			c := a.class[l[i]]
			n := child(st, c)
			if n < 0 {
				n = int32(len(kids))
				kids = append(kids, nil)
				outs = append(outs, nil)
				kids[st] = append(kids[st], kid{c, n})
			}
			st = n
		}
		outs[st] = append(outs[st], int32(pi))
	}
	ns := len(kids)
	// breadth-first order, failure links, inherited outputs
	order := make([]int32, 0, ns)
	order = append(order, 0)
	fail := make([]int32, ns)
	for qi := 0; qi < len(order); qi++ {
		st := order[qi]
		if st != 0 {
			outs[st] = append(outs[st], outs[fail[st]]...)
		}
		for _, k := range kids[st] {
			order = append(order, k.n)
			if st == 0 {
				continue
			}
			f := fail[st]
			for {
				if n := child(f, k.c); n >= 0 {
					fail[k.n] = n
					break
				}
				if f == 0 {
					fail[k.n] = 0
					break
				}
				f = fail[f]
			}
		}
	}
	id := make([]int32, ns) // old -> breadth-first id
	for i, st := range order {
		id[st] = int32(i)
	}
	enc := func(old int32) int32 {
		if len(outs[old]) > 0 {
			return ^id[old]
		}
		return id[old]
	}
	nd := denseBudget / 4 / nc
	if nd < 1 {
		nd = 1
	}
	if nd > ns {
		nd = ns
	}
	a.nd = int32(nd)
	a.dense = make([]int32, nd*nc)
	for i := 0; i < nd; i++ {
		st := order[i]
		row := a.dense[i*nc : (i+1)*nc]
		if st != 0 {
			// start from the failure state's row (shallower: already built)
			copy(row, a.dense[int(id[fail[st]])*nc:int(id[fail[st]]+1)*nc])
		}
		for _, k := range kids[st] {
			row[k.c] = enc(k.n)
		}
	}
	a.sfirst = make([]int32, 0, ns-nd+1)
	a.sfail = make([]int32, 0, ns-nd)
	for i := nd; i < ns; i++ {
		st := order[i]
		a.sfirst = append(a.sfirst, int32(len(a.sclass)))
		a.sfail = append(a.sfail, id[fail[st]])
		for _, k := range kids[st] {
			a.sclass = append(a.sclass, k.c)
			a.snext = append(a.snext, enc(k.n))
		}
	}
	a.sfirst = append(a.sfirst, int32(len(a.sclass)))
	a.outIdx = make([]int32, ns+1)
	for i, st := range order {
		a.outIdx[i] = int32(len(a.outList))
		a.outList = append(a.outList, outs[st]...)
	}
	a.outIdx[ns] = int32(len(a.outList))
	for pi, l := range b.lits {
		st := int32(len(a.entries))
		a.entries = append(a.entries, b.entries[pi]...)
		a.pats = append(a.pats, acPattern{n: int32(len(l)), start: st, end: int32(len(a.entries))})
	}
	return a
}

// scan runs the automaton over text (already case-folded if it holds
// non-ASCII bytes) and appends to hits every atom whose pattern occurs in
// the right place, once (mark[atom] = stamp records it).
func (a *automaton) scan(text []byte, mark []uint32, stamp uint32, hits *[]int32) {
	s := int32(0)
	n := int32(len(text))
	nc := a.nclass
	nd := a.nd
	for i, c := range text {
		cls := int32(a.class[c])
		var t int32
		for {
			if s < nd {
				t = a.dense[s*nc+cls]
				break
			}
			k := s - nd
			t = -1 << 31
			for j := a.sfirst[k]; j < a.sfirst[k+1]; j++ {
				if int32(a.sclass[j]) == cls {
					t = a.snext[j]
					break
				}
			}
			if t != -1<<31 {
				break
			}
			s = a.sfail[k]
		}
		if t >= 0 {
			s = t
			continue
		}
		s = ^t
		end := int32(i) + 1
		for _, pi := range a.outList[a.outIdx[s]:a.outIdx[s+1]] {
			p := &a.pats[pi]
			for _, e := range a.entries[p.start:p.end] {
				switch e.op {
				case opContains:
				case opPrefix:
					if end != p.n {
						continue
					}
				case opSuffix:
					if end != n {
						continue
					}
				case opEq:
					if end != n || p.n != n {
						continue
					}
				}
				if mark[e.atom] != stamp {
					mark[e.atom] = stamp
					*hits = append(*hits, e.atom)
				}
			}
		}
	}
}

func (a *automaton) memBytes() int {
	return len(a.dense)*4 + len(a.sfirst)*4 + len(a.sclass)*2 + len(a.snext)*4 + len(a.sfail)*4 +
		len(a.outIdx)*4 + len(a.outList)*4 + len(a.pats)*12 + len(a.entries)*8
}

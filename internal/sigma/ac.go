package sigma

// automaton is an Aho-Corasick DFA over case-folded bytes: ASCII upper-
// case letters share the class of their lower-case form, so ASCII text
// needs no lowering pass. The transition table is dense over byte classes
// and holds premultiplied state offsets; a negative entry (^offset) marks a
// target state that has outputs.
type automaton struct {
	class    [256]uint16
	nclass   int32
	trans    []int32
	outIdx   []int32 // per state: start in outList; outIdx[s+1] is the end
	outList  []int32 // pattern ids
	pats     []acPattern
	entries  []acEntry
	nonASCII bool // some pattern has a byte >= 0x80
}

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
	// byte classes
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

	// trie, written straight into the dense table (0 = no edge: the root
	// is never a child)
	delta := make([]int32, nc, nc*64)
	var outs [][]int32
	outs = append(outs, nil)
	for pi, l := range b.lits {
		st := int32(0)
		for i := 0; i < len(l); i++ {
			c := int32(a.class[l[i]])
			n := delta[st*int32(nc)+c]
			if n == 0 {
				n = int32(len(outs))
				outs = append(outs, nil)
				delta = append(delta, make([]int32, nc)...)
				delta[st*int32(nc)+c] = n
			}
			st = n
		}
		outs[st] = append(outs[st], int32(pi))
	}
	ns := len(outs)
	fail := make([]int32, ns)
	queue := make([]int32, 0, ns)
	for c := 0; c < nc; c++ {
		if n := delta[c]; n != 0 {
			queue = append(queue, n)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		st := queue[qi]
		// outputs of the fail state are inherited (it is processed first in BFS order)
		outs[st] = append(outs[st], outs[fail[st]]...)
		row := int(st) * nc
		frow := int(fail[st]) * nc
		for c := 0; c < nc; c++ {
			if n := delta[row+c]; n != 0 {
				fail[n] = delta[frow+c]
				if st == 0 {
					fail[n] = 0
				}
				queue = append(queue, n)
			} else {
				delta[row+c] = delta[frow+c]
			}
		}
	}
	a.trans = make([]int32, ns*nc)
	for i, t := range delta {
		v := t * int32(nc)
		if len(outs[t]) > 0 {
			v = ^v
		}
		a.trans[i] = v
	}
	a.outIdx = make([]int32, ns+1)
	for s := 0; s < ns; s++ {
		a.outIdx[s] = int32(len(a.outList))
		a.outList = append(a.outList, outs[s]...)
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
// non-ASCII bytes) and marks mark[atom] = epoch for every atom whose
// pattern occurs in the right place, appending newly true atoms to list.
func (a *automaton) scan(text []byte, mark []uint32, epoch uint32, list *[]int32) {
	s := int32(0)
	n := int32(len(text))
	nc := a.nclass
	for i, c := range text {
		t := a.trans[s+int32(a.class[c])]
		if t >= 0 {
			s = t
			continue
		}
		s = ^t
		st := s / nc
		end := int32(i) + 1
		for _, pi := range a.outList[a.outIdx[st]:a.outIdx[st+1]] {
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
				if mark[e.atom] != epoch {
					mark[e.atom] = epoch
					*list = append(*list, e.atom)
				}
			}
		}
	}
}

func (a *automaton) memBytes() int {
	return len(a.trans)*4 + len(a.outIdx)*4 + len(a.outList)*4 + len(a.pats)*12 + len(a.entries)*8
}

package tlog

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// The reference algorithms of RFC 9162 §2.1, written out recursively over
// the whole leaf list, to check the streaming Prover against.

func refRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return leaves[0]
	}
	k := largestPow2Below(len(leaves))
	return HashChildren(refRoot(leaves[:k]), refRoot(leaves[k:]))
}

func largestPow2Below(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// refPath is PATH(m, D[n]).
func refPath(m int, leaves [][]byte) [][]byte {
	n := len(leaves)
	if n == 1 {
		return nil
	}
	k := largestPow2Below(n)
	if m < k {
		return append(refPath(m, leaves[:k]), refRoot(leaves[k:]))
	}
	return append(refPath(m-k, leaves[k:]), refRoot(leaves[:k]))
}

// refSubproof is SUBPROOF(m, D[n], b).
func refSubproof(m int, leaves [][]byte, b bool) [][]byte {
	n := len(leaves)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{refRoot(leaves)}
	}
	k := largestPow2Below(n)
	if m <= k {
		return append(refSubproof(m, leaves[:k], b), refRoot(leaves[k:]))
	}
	return append(refSubproof(m-k, leaves[k:], false), refRoot(leaves[:k]))
}

func leavesN(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = hasher.HashLeaf([]byte(fmt.Sprint("leaf ", i)))
	}
	return out
}

func TestProverMatchesRFC9162(t *testing.T) {
	all := leavesN(40)
	for n := 1; n <= len(all); n++ {
		leaves := all[:n]
		p := NewProver(uint64(n))
		for i := range n {
			if err := p.WantInclusion(uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
		for m := 0; m <= n; m++ {
			if err := p.WantConsistency(uint64(m)); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range leaves {
			if err := p.Add(l); err != nil {
				t.Fatal(err)
			}
		}
		root, err := p.Root()
		if err != nil || !bytes.Equal(root, refRoot(leaves)) {
			t.Fatalf("size %d: root %x, want %x (%v)", n, root, refRoot(leaves), err)
		}
		for i := range n {
			got, err := p.Inclusion(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			if want := refPath(i, leaves); !equalHashes(got, want) {
				t.Fatalf("size %d leaf %d: inclusion proof differs from RFC 9162 PATH", n, i)
			}
			if err := VerifyInclusion(uint64(i), uint64(n), leaves[i], got, root); err != nil {
				t.Fatalf("size %d leaf %d: %v", n, i, err)
			}
		}
		for m := 1; m < n; m++ {
			got, err := p.Consistency(uint64(m))
			if err != nil {
				t.Fatal(err)
			}
			if want := refSubproof(m, leaves, true); !equalHashes(got, want) {
				t.Fatalf("size %d from %d: consistency proof differs from RFC 9162 PROOF", n, m)
			}
			if err := VerifyConsistency(uint64(m), uint64(n), got, refRoot(leaves[:m]), root); err != nil {
				t.Fatalf("size %d from %d: %v", n, m, err)
			}
		}
	}
}

func TestProofsCatchChanges(t *testing.T) {
	leaves := leavesN(13)
	p := NewProver(13)
	p.WantInclusion(5)
	p.WantConsistency(7)
	for _, l := range leaves {
		p.Add(l)
	}
	root, _ := p.Root()
	incl, _ := p.Inclusion(5)
	cons, _ := p.Consistency(7)
	// Another history: leaf 3 differs, so the old tree of size 7 is not a prefix.
	other := append([][]byte(nil), leaves...)
	other[3] = hasher.HashLeaf([]byte("rewritten"))
	if err := VerifyConsistency(7, 13, cons, refRoot(other[:7]), root); err == nil {
		t.Fatal("consistency proof accepted a rewritten prefix")
	}
	for i := range incl {
		bad := cloneHashes(incl)
		bad[i][0] ^= 1
		if err := VerifyInclusion(5, 13, leaves[5], bad, root); err == nil {
			t.Fatalf("inclusion proof with hash %d flipped accepted", i)
		}
	}
	if err := VerifyInclusion(5, 13, leaves[6], incl, root); err == nil {
		t.Fatal("inclusion proof accepted for another leaf")
	}
	if _, err := p.Inclusion(4); err == nil {
		t.Fatal("a proof that was not asked for was returned")
	}
	if err := p.Add(leaves[0]); err == nil {
		t.Fatal("a leaf beyond the size was accepted")
	}
}

func equalHashes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func cloneHashes(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = bytes.Clone(h)
	}
	return out
}

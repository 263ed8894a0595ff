package match

import (
	"slices"
	"strings"
	"testing"
)

func TestSuffixHashes(t *testing.T) {
	name := "a.bb.evil.example"
	var got []string
	suffixHashes([]byte(name), func(i int, h uint64) {
		got = append(got, name[i:])
		if h != domainHash(name[i:]) {
			t.Errorf("hash of %q differs from domainHash", name[i:])
		}
	})
	if !slices.Equal(got, []string{"a.bb.evil.example", "bb.evil.example", "evil.example", "example"}) {
		t.Fatalf("suffixes %v", got)
	}
	long := strings.Repeat("a.", 126) + "z"
	n := 0
	suffixHashes([]byte(long), func(int, uint64) { n++ })
	if n != 127 {
		t.Fatalf("%d suffixes of a 127-label name", n)
	}
}

func TestBitFilter(t *testing.T) {
	f := newBitFilter(1000)
	for i := uint64(0); i < 1000; i++ {
		f.add(mix(i))
	}
	for i := uint64(0); i < 1000; i++ {
		if !f.has(mix(i)) {
			t.Fatalf("filter lost key %d", i)
		}
	}
	passed := 0
	for i := uint64(1000); i < 101000; i++ {
		if f.has(mix(i)) {
			passed++
		}
	}
	// 16 bits a key: about 6 % of other keys pass.
	if passed > 10000 || f.fill() > 0.1 {
		t.Fatalf("%d of 100,000 other keys pass, fill %.3f", passed, f.fill())
	}
	if big := newBitFilter(10_000_000); len(big.words)*64 != 1<<24 {
		t.Fatalf("filter not capped at 2^24 bits: %d", len(big.words)*64)
	}
}

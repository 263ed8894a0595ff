package match

import "math/bits"

// bitFilter is a one-hash Bloom filter: a bitmap that says "maybe" for
// every key added and "no" for most others. The tables of a set of a
// million indicators are far larger than the CPU caches, so each lookup
// in them costs a cache miss or more; the filters (at most 2 MiB each)
// answer "no" for almost every value an event holds at the cost of one
// line read, and the tables are read only on "maybe".
type bitFilter struct {
	words []uint64
	shift uint // 64 - log2(bits)
}

// newBitFilter sizes a filter for about n keys: 16 bits a key, between
// 2^16 and 2^24 bits.
func newBitFilter(n int) bitFilter {
	logBits := 16
	for logBits < 24 && 1<<logBits < 16*n {
		logBits++
	}
	return bitFilter{words: make([]uint64, (1<<logBits)/64), shift: uint(64 - logBits)}
}

// mix spreads a key over 64 bits (a multiply by an odd constant; the top
// bits are used).
func mix(x uint64) uint64 { return (x ^ x>>31) * 0x9e3779b97f4a7c15 }

func (f *bitFilter) add(h uint64) {
	i := h >> f.shift
	f.words[i/64] |= 1 << (i % 64)
}

func (f *bitFilter) has(h uint64) bool {
	i := h >> f.shift
	return f.words[i/64]&(1<<(i%64)) != 0
}

// fill reports how full the filter is (for tests and stats).
func (f *bitFilter) fill() float64 {
	n := 0
	for _, w := range f.words {
		n += bits.OnesCount64(w)
	}
	return float64(n) / float64(len(f.words)*64)
}

// suffixHashes calls fn with the hash of every suffix of name that starts
// a label (the name itself, then after each dot), longest first, and the
// suffix's start. The hashes are computed in one pass from the right.
func suffixHashes(name []byte, fn func(start int, h uint64)) {
	var starts [128]int32
	var hashes [128]uint64
	n := 0
	h := uint64(14695981039346656037)
	for i := len(name) - 1; i >= 0; i-- {
		c := name[i]
		if c == '.' && n < len(starts) {
			starts[n], hashes[n] = int32(i+1), mix(h)
			n++
		}
		h = (h ^ uint64(c)) * 1099511628211
	}
	fn(0, mix(h))
	for k := n - 1; k >= 0; k-- {
		fn(int(starts[k]), hashes[k])
	}
}

// domainHash is the hash suffixHashes gives for a whole name.
func domainHash(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := len(name) - 1; i >= 0; i-- {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return mix(h)
}

// strHash is domainHash of bytes (the key of the URL and email tables).
func strHash(b string) uint64 { return domainHash(b) }

// bytesHash is strHash of a byte slice, without copying it.
func bytesHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := len(b) - 1; i >= 0; i-- {
		h = (h ^ uint64(b[i])) * 1099511628211
	}
	return mix(h)
}

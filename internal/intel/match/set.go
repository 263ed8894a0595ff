package match

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// Options tune Build.
type Options struct {
	// Now decides which indicators are active; zero means time.Now().
	Now time.Time
	// SkipFields names top-level members of an event that are never
	// matched (kubu passes its reserved "@kubu" member).
	SkipFields []string
}

// Set is an immutable index of active indicators. It is safe for
// concurrent use.
type Set struct {
	records
	// next chains indicators that share a key: the tables hold the index
	// of the last one added, next[i] the one added before it (-1 ends).
	next []int32

	v4     [33]map[uint32]int32
	v4lens []uint8 // prefix lengths in use, longest first
	v6     [129]map[[16]byte]int32
	v6lens []uint8

	// The string tables are keyed by a 64-bit hash of the normal form
	// (strHash; for domains the hash suffixHashes gives), so they hold no
	// pointers either; a hit is checked against the stored normal form.
	domains map[uint64]int32
	tlds    labelFilter // last labels of the domain indicators
	urls    map[uint64]int32
	emails  map[uint64]int32
	md5     map[[16]byte]int32
	sha1    map[[20]byte]int32
	sha256  map[[32]byte]int32
	sha512  map[[64]byte]int32

	// Filters in front of the large tables (see bitFilter).
	v4filter     bitFilter // by /24
	hashFilter   bitFilter // by the first 8 bytes of a digest
	domainFilter bitFilter // by domainHash

	skip       []string
	active     int
	rejected   []Rejected
	nextChange time.Time
}

// Rejected is an indicator that Build could not index.
type Rejected struct {
	Index  int // in the slice given to Build
	Reason string
}

// Build indexes the indicators active at opts.Now. It copies what it
// needs: inds may be reused afterwards. Indicators whose value does not
// normalise are left out and listed by Rejected.
func Build(inds []intel.Indicator, opts Options) *Set {
	b := NewBuilder(len(inds), opts)
	for i := range inds {
		b.Add(&inds[i])
	}
	return b.Set()
}

// Builder makes a Set one indicator at a time, so a caller reading
// indicators from storage need not hold them all first.
type Builder struct {
	s   *Set
	now time.Time
}

// NewBuilder starts a set; n is how many indicators to expect (a hint).
func NewBuilder(n int, opts Options) *Builder {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	s := &Set{
		next:    make([]int32, 0, n),
		domains: make(map[uint64]int32),
		urls:    make(map[uint64]int32),
		emails:  make(map[uint64]int32),
		md5:     make(map[[16]byte]int32),
		sha1:    make(map[[20]byte]int32),
		sha256:  make(map[[32]byte]int32),
		sha512:  make(map[[64]byte]int32),
	}
	s.recs = make([]record, 0, n)
	s.skip = append([]string(nil), opts.SkipFields...)
	return &Builder{s: s, now: now}
}

// Add adds the next indicator (index Len-of-added-so-far, as Build
// numbers them). It copies what it keeps: in may change after it returns.
func (b *Builder) Add(in *intel.Indicator) {
	s := b.s
	i := len(s.recs)
	s.next = append(s.next, -1)
	s.noteChange(in, b.now)
	key := ""
	if in.Active(b.now) {
		var err string
		if key, err = s.add(int32(i), in); err != "" {
			s.rejected = append(s.rejected, Rejected{Index: i, Reason: err})
		} else {
			s.active++
		}
	}
	s.records.add(in, key)
}

// Set finishes the set; the builder must not be used afterwards.
func (b *Builder) Set() *Set {
	s := b.s
	b.s = nil
	for l := 32; l >= 0; l-- {
		if s.v4[l] != nil {
			s.v4lens = append(s.v4lens, uint8(l))
		}
	}
	s.buildFilters()
	for l := 128; l >= 0; l-- {
		if s.v6[l] != nil {
			s.v6lens = append(s.v6lens, uint8(l))
		}
	}
	return s
}

// noteChange keeps the earliest future moment at which the set of active
// indicators changes.
func (s *Set) noteChange(in *intel.Indicator, now time.Time) {
	for _, t := range []time.Time{in.ValidFrom, in.ValidUntil} {
		if t.After(now) && (s.nextChange.IsZero() || t.Before(s.nextChange)) {
			s.nextChange = t
		}
	}
}

// add indexes in as indicator i; it returns the key of the string
// tables (the normal form) or why in cannot be indexed.
func (s *Set) add(i int32, in *intel.Indicator) (key, reason string) {
	v, err := intel.Normalise(in.Type, in.Value)
	if err != nil {
		return "", err.Error()
	}
	switch in.Type {
	case intel.IP:
		p, err := intel.ParseIP(v)
		if err != nil {
			return "", err.Error()
		}
		if p.Addr().Is4() {
			l := p.Bits()
			if s.v4[l] == nil {
				s.v4[l] = make(map[uint32]int32)
			}
			k := v4key(p.Addr())
			s.next[i] = lookup(s.v4[l], k)
			s.v4[l][k] = i
		} else {
			l := p.Bits()
			if s.v6[l] == nil {
				s.v6[l] = make(map[[16]byte]int32)
			}
			k := p.Addr().As16()
			s.next[i] = lookup(s.v6[l], k)
			s.v6[l][k] = i
		}
	case intel.Domain:
		k := domainHash(v)
		s.next[i] = lookup(s.domains, k)
		s.domains[k] = i
		s.tlds.add([]byte(v[strings.LastIndexByte(v, '.')+1:]))
		return v, ""
	case intel.URL:
		k := strHash(v)
		s.next[i] = lookup(s.urls, k)
		s.urls[k] = i
		return v, ""
	case intel.Email:
		k := strHash(v)
		s.next[i] = lookup(s.emails, k)
		s.emails[k] = i
		return v, ""
	case intel.MD5:
		var k [16]byte
		decodeHex(k[:], []byte(v))
		s.next[i] = lookup(s.md5, k)
		s.md5[k] = i
	case intel.SHA1:
		var k [20]byte
		decodeHex(k[:], []byte(v))
		s.next[i] = lookup(s.sha1, k)
		s.sha1[k] = i
	case intel.SHA256:
		var k [32]byte
		decodeHex(k[:], []byte(v))
		s.next[i] = lookup(s.sha256, k)
		s.sha256[k] = i
	case intel.SHA512:
		var k [64]byte
		decodeHex(k[:], []byte(v))
		s.next[i] = lookup(s.sha512, k)
		s.sha512[k] = i
	default:
		return "", "unknown observable type " + string(in.Type)
	}
	return "", ""
}

func lookup[K comparable](m map[K]int32, k K) int32 {
	if i, ok := m[k]; ok {
		return i
	}
	return -1
}

func v4key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// decodeHex decodes len(dst)*2 hex digits of either case; false if one is
// not hex.
func decodeHex(dst, src []byte) bool {
	for i := range dst {
		hi, ok1 := unhex(src[2*i])
		lo, ok2 := unhex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Len is the number of active indicators indexed.
func (s *Set) Len() int { return s.active }

// Rejected lists the indicators Build left out, with the reason.
func (s *Set) Rejected() []Rejected { return s.rejected }

// NextChange is the earliest moment after the build time at which an
// indicator becomes active or expires (zero if none): the owner should
// build a new set then.
func (s *Set) NextChange() time.Time { return s.nextChange }

// Indicator returns (a copy of) the i-th indicator given to Build, its
// times in UTC.
func (s *Set) Indicator(i int) *intel.Indicator { return s.records.indicator(int32(i)) }

// Stats counts the indexed entries by table, for logs and the UI.
func (s *Set) Stats() map[string]int {
	st := map[string]int{
		"domain": len(s.domains), "url": len(s.urls), "email": len(s.emails),
		"md5": len(s.md5), "sha1": len(s.sha1), "sha256": len(s.sha256), "sha512": len(s.sha512),
	}
	for _, l := range s.v4lens {
		st["ipv4"] += len(s.v4[l])
	}
	for _, l := range s.v6lens {
		st["ipv6"] += len(s.v6[l])
	}
	return st
}

// prefixLens lists the prefix lengths in use (for tests and stats).
func (s *Set) prefixLens() (v4, v6 []int) {
	for _, l := range s.v4lens {
		v4 = append(v4, int(l))
	}
	for _, l := range s.v6lens {
		v6 = append(v6, int(l))
	}
	sort.Ints(v4)
	sort.Ints(v6)
	return v4, v6
}

// labelFilter says whether a label may be the last label of a domain
// indicator: a bitmap over a hash of the label, case-insensitive. A false
// "yes" costs only the table lookups it was meant to save.
type labelFilter struct{ bits [1 << 14 / 64]uint64 }

func labelHash(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint32(c)) * 16777619
	}
	return (h ^ h>>15) & (1<<14 - 1)
}

func (f *labelFilter) add(b []byte) {
	h := labelHash(b)
	f.bits[h/64] |= 1 << (h % 64)
}

func (f *labelFilter) has(b []byte) bool {
	h := labelHash(b)
	return f.bits[h/64]&(1<<(h%64)) != 0
}

// buildFilters fills the filters from the tables.
func (s *Set) buildFilters() {
	n4 := 0
	for _, l := range s.v4lens {
		n4 += len(s.v4[l])
	}
	s.v4filter = newBitFilter(n4)
	for _, l := range s.v4lens {
		for k := range s.v4[l] {
			// Every /24 the prefix covers (a /8 is 65,536 of them).
			first := k >> 8
			count := uint32(1)
			if l < 24 {
				count = 1 << (24 - l)
			}
			for i := uint32(0); i < count; i++ {
				s.v4filter.add(mix(uint64(first + i)))
			}
		}
	}
	s.hashFilter = newBitFilter(len(s.md5) + len(s.sha1) + len(s.sha256) + len(s.sha512))
	for k := range s.md5 {
		s.hashFilter.add(mix(prefix64(k[:])))
	}
	for k := range s.sha1 {
		s.hashFilter.add(mix(prefix64(k[:])))
	}
	for k := range s.sha256 {
		s.hashFilter.add(mix(prefix64(k[:])))
	}
	for k := range s.sha512 {
		s.hashFilter.add(mix(prefix64(k[:])))
	}
	s.domainFilter = newBitFilter(len(s.domains))
	for h := range s.domains {
		s.domainFilter.add(h)
	}
}

func prefix64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

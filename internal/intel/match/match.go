package match

import (
	"bytes"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/valyala/fastjson"
)

// Hit is one indicator that an event mentions.
type Hit struct {
	Indicator *intel.Indicator
	// Observed is what the event held, in normal form: the address, the
	// host name (a subdomain of a domain indicator), the URL, the hash.
	Observed string
	// Field is the member that held it, dotted for nested objects
	// ("winlog.event_data.DestinationIp"); array elements take the
	// member's name.
	Field string
}

// Matcher holds the current Set; Store replaces it atomically while
// Match calls go on. The zero Matcher matches nothing.
type Matcher struct{ cur atomic.Pointer[Set] }

// Store makes s the set that Match uses.
func (m *Matcher) Store(s *Set) { m.cur.Store(s) }

// Load returns the current set (nil before the first Store).
func (m *Matcher) Load() *Set { return m.cur.Load() }

// Match matches raw against the current set.
func (m *Matcher) Match(raw []byte) []Hit { return m.cur.Load().Match(raw) }

// scratch is the per-call state, pooled.
type scratch struct {
	set    *Set
	path   [][]byte
	unesc  []byte // an unescaped value
	depth  int
	name   [256]byte // a lower-cased name
	buf    []byte    // a normalised URL
	hits   []Hit
	hitIdx []int32 // the indicators of hits

	visit func(k []byte, v *fastjson.Value)
	token func(intel.Kind, []byte) bool
	// onValue, set only by tests, sees every value walked.
	onValue func(field string, v []byte)
}

var scratchPool = sync.Pool{New: func() any {
	sc := &scratch{}
	sc.visit = sc.visitMember
	sc.token = sc.onToken
	return sc
}}

// Match returns the indicators that the event raw (a JSON document,
// normally an object) mentions in its string values, each indicator once
// (at the first field where it was seen). It reads raw in place, without
// building a tree (see walkRaw): intake has validated the event already.
// A nil or empty set gives no hits; input that is not JSON gives what the
// strings read before the damage hold, and never an error.
func (s *Set) Match(raw []byte) []Hit {
	if s == nil || s.active == 0 {
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	sc.set = s
	sc.walkRaw(raw)
	return sc.result()
}

// MatchValue is Match for an event its caller has already parsed with
// fastjson.
func (s *Set) MatchValue(v *fastjson.Value) []Hit {
	if s == nil || s.active == 0 || v == nil {
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	sc.set = s
	sc.walk(v)
	return sc.result()
}

func (sc *scratch) result() []Hit {
	if len(sc.hits) == 0 {
		return nil
	}
	out := make([]Hit, len(sc.hits))
	copy(out, sc.hits)
	return out
}

// value scans one string value; marks says it may hold a '.' or ':'.
// Every observable but a hash has a dot or a colon, and a hash is at
// least 32 characters: most values of an event are neither.
func (sc *scratch) value(b []byte, marks bool) {
	if sc.onValue != nil {
		sc.onValue(sc.field(), b)
	}
	if marks || len(b) >= 32 {
		intel.Scan(b, sc.token)
	}
}

func (sc *scratch) release() {
	sc.set = nil
	sc.onValue = nil
	clear(sc.path)
	sc.path = sc.path[:0]
	sc.depth = 0
	clear(sc.hits)
	sc.hits = sc.hits[:0]
	sc.hitIdx = sc.hitIdx[:0]
	scratchPool.Put(sc)
}

func (sc *scratch) walk(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeString:
		b := v.GetStringBytes()
		sc.value(b, bytes.IndexByte(b, '.') >= 0 || bytes.IndexByte(b, ':') >= 0)
	case fastjson.TypeObject:
		o, _ := v.Object()
		sc.depth++
		o.Visit(sc.visit)
		sc.depth--
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			sc.walk(e)
		}
	}
}

func (sc *scratch) visitMember(k []byte, v *fastjson.Value) {
	if sc.depth == 1 && sc.skipKey(k) {
		return
	}
	sc.path = append(sc.path, k)
	sc.walk(v)
	sc.path = sc.path[:len(sc.path)-1]
}

func (sc *scratch) onToken(k intel.Kind, tok []byte) bool {
	s := sc.set
	switch k {
	case intel.KindIPv4:
		if len(s.v4lens) > 0 {
			if a, ok := parseIPv4(tok); ok {
				sc.ipv4(a)
			}
		}
	case intel.KindIPv6:
		if len(s.v6lens) > 0 || len(s.v4lens) > 0 {
			// The token holds only hex digits, colons and dots (no zone),
			// so ParseAddr keeps nothing of it.
			a, err := netip.ParseAddr(unsafe.String(&tok[0], len(tok)))
			if err == nil {
				sc.ip(a)
			}
		}
	case intel.KindDomain:
		sc.domain(tok)
	case intel.KindHash:
		sc.hash(tok)
	case intel.KindEmail:
		sc.email(tok)
	case intel.KindURL:
		sc.url(tok)
	}
	return true
}

func (sc *scratch) ip(a netip.Addr) {
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		sc.ipv4(v4key(a))
		return
	}
	s := sc.set
	if len(s.v6lens) == 0 {
		return
	}
	b := a.As16()
	for _, l := range s.v6lens {
		k := mask16(b, int(l))
		if i, ok := s.v6[l][k]; ok {
			sc.hit(i, func() string { return a.String() })
		}
	}
}

func (sc *scratch) ipv4(a uint32) {
	s := sc.set
	if !s.v4filter.has(mix(uint64(a >> 8))) {
		return
	}
	for _, l := range s.v4lens {
		k := a
		if l < 32 {
			k &= ^uint32(0) << (32 - l)
		}
		if i, ok := s.v4[l][k]; ok {
			sc.hit(i, func() string {
				return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}).String()
			})
		}
	}
}

func mask16(b [16]byte, l int) [16]byte {
	for i := range b {
		switch {
		case l >= 8:
			l -= 8
		case l > 0:
			b[i] &= ^byte(0) << (8 - l)
			l = 0
		default:
			b[i] = 0
		}
	}
	return b
}

// parseIPv4 reads a dotted quad (anything after it, such as /bits, is
// ignored).
func parseIPv4(t []byte) (uint32, bool) {
	var a, part uint32
	digits, dots := 0, 0
	for _, c := range t {
		if c == '/' {
			break
		}
		if c == '.' {
			if digits == 0 || dots == 3 {
				return 0, false
			}
			a, part, digits = a<<8|part, 0, 0
			dots++
			continue
		}
		if c < '0' || c > '9' || digits == 3 {
			return 0, false
		}
		part = part*10 + uint32(c-'0')
		if part > 255 {
			return 0, false
		}
		digits++
	}
	if dots != 3 || digits == 0 {
		return 0, false
	}
	return a<<8 | part, true
}

// domain looks the name and each of its parents up.
func (sc *scratch) domain(tok []byte) {
	s := sc.set
	if len(s.domains) == 0 || len(tok) > len(sc.name) {
		return
	}
	// Most names that reach here are file names (cmd.exe, ntdll.dll):
	// their last label rules them out before any copying.
	t := tok
	for len(t) > 0 && t[len(t)-1] == '.' {
		t = t[:len(t)-1]
	}
	if !s.tlds.has(t[lastDot(t)+1:]) {
		return
	}
	b := sc.name[:0]
	for _, c := range tok {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	sc.domainLower(b)
}

func (sc *scratch) domainLower(b []byte) {
	s := sc.set
	for len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if !s.tlds.has(b[lastDot(b)+1:]) {
		return
	}
	suffixHashes(b, func(i int, h uint64) {
		if !s.domainFilter.has(h) {
			return
		}
		if idx, ok := s.domains[h]; ok {
			sc.hitKey(idx, b[i:], func() string { return string(b) })
		}
	})
}

func (sc *scratch) hash(tok []byte) {
	s := sc.set
	var head [8]byte
	if !decodeHex(head[:], tok[:16]) || !s.hashFilter.has(mix(prefix64(head[:]))) {
		return
	}
	switch len(tok) {
	case 32:
		if len(s.md5) > 0 {
			var k [16]byte
			if decodeHex(k[:], tok) {
				if i, ok := s.md5[k]; ok {
					sc.hit(i, func() string { return lowerString(tok) })
				}
			}
		}
	case 40:
		if len(s.sha1) > 0 {
			var k [20]byte
			if decodeHex(k[:], tok) {
				if i, ok := s.sha1[k]; ok {
					sc.hit(i, func() string { return lowerString(tok) })
				}
			}
		}
	case 64:
		if len(s.sha256) > 0 {
			var k [32]byte
			if decodeHex(k[:], tok) {
				if i, ok := s.sha256[k]; ok {
					sc.hit(i, func() string { return lowerString(tok) })
				}
			}
		}
	case 128:
		if len(s.sha512) > 0 {
			var k [64]byte
			if decodeHex(k[:], tok) {
				if i, ok := s.sha512[k]; ok {
					sc.hit(i, func() string { return lowerString(tok) })
				}
			}
		}
	}
}

func (sc *scratch) email(tok []byte) {
	s := sc.set
	if len(tok) > len(sc.name) {
		return
	}
	b := sc.name[:0]
	for _, c := range tok {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if len(s.emails) > 0 {
		if i, ok := s.emails[bytesHash(b)]; ok {
			sc.hitKey(i, b, func() string { return string(b) })
		}
	}
	if len(s.domains) > 0 {
		at := lastIndexByte(b, '@')
		sc.domainLower(b[at+1:])
	}
}

func (sc *scratch) url(tok []byte) {
	s := sc.set
	out, hs, he, err := intel.AppendURL(sc.buf[:0], tok)
	if err != nil {
		return
	}
	sc.buf = out
	if len(s.urls) > 0 {
		if i, ok := s.urls[bytesHash(out)]; ok {
			sc.hitKey(i, out, func() string { return string(out) })
		}
		// Without its query, the URL may match an indicator of the page.
		if q := indexByte(out[he:], '?'); q >= 0 {
			if i, ok := s.urls[bytesHash(out[:he+q])]; ok {
				sc.hitKey(i, out[:he+q], func() string { return string(out) })
			}
		}
	}
	host := out[hs:he]
	if len(host) > 0 && host[0] == '[' {
		if a, err := netip.ParseAddr(unsafe.String(&host[1], len(host)-2)); err == nil {
			sc.ip(a)
		}
		return
	}
	if a, ok := parseIPv4(host); ok {
		if len(s.v4lens) > 0 {
			sc.ipv4(a)
		}
		return
	}
	if len(s.domains) > 0 {
		// host is already lower case and is the tail of sc.buf, which
		// domainLower only reads.
		sc.domainLower(host)
	}
}

// hit records every indicator chained from index i, once per event.
func (sc *scratch) hit(i int32, observed func() string) { sc.hitKey(i, nil, observed) }

// hitKey is hit for the hashed tables: only indicators whose normal form
// is key count (another key may share the hash).
func (sc *scratch) hitKey(i int32, key []byte, observed func() string) {
	s := sc.set
	for ; i >= 0; i = s.next[i] {
		if key != nil && !s.keyIs(i, key) {
			continue
		}
		if slices.Contains(sc.hitIdx, i) {
			continue
		}
		sc.hitIdx = append(sc.hitIdx, i)
		sc.hits = append(sc.hits, Hit{Indicator: s.records.indicator(i), Observed: observed(), Field: sc.field()})
	}
}

func (sc *scratch) field() string {
	n := 0
	for _, p := range sc.path {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range sc.path {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, p...)
	}
	return string(b)
}

func lowerString(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

func lastDot(b []byte) int  { return lastIndexByte(b, '.') }
func indexDot(b []byte) int { return indexByte(b, '.') }
func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

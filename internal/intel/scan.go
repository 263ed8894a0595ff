package intel

// Kind is the shape of a token that Scan found: what it may be, before
// normalisation.
type Kind uint8

// The kinds of candidate tokens.
const (
	KindIPv4   Kind = 1 + iota // a dotted quad, possibly followed by /bits
	KindIPv6                   // hex groups and colons ("::" or 7 colons)
	KindDomain                 // dotted labels of letters, digits, '-', '_'
	KindURL                    // scheme://… up to the next separator
	KindEmail                  // local@domain
	KindHash                   // 32, 40, 64 or 128 hex digits
)

func (k Kind) String() string {
	switch k {
	case KindIPv4:
		return "ipv4"
	case KindIPv6:
		return "ipv6"
	case KindDomain:
		return "domain"
	case KindURL:
		return "url"
	case KindEmail:
		return "email"
	case KindHash:
		return "hash"
	}
	return "unknown"
}

// Byte classes.
const (
	fSep      uint16 = 1 << iota // ends a token
	fDot                         // .
	fColon                       // :
	fAt                          // @
	fSub                         // = / : [ ] split a token into parts
	fDigit                       // 0-9
	fHexAlpha                    // a-f A-F
	fAlpha                       // g-z G-Z
	fDash                        // - _
	fBracket                     // [ ]
	fOther                       // anything else
)

var class = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		switch {
		case c <= ' ' || c == 0x7f:
			t[c] = fSep
		case c >= '0' && c <= '9':
			t[c] = fDigit
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			t[c] = fHexAlpha
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			t[c] = fAlpha
		default:
			t[c] = fOther
		}
	}
	for _, c := range []byte("\"'`,;|(){}<>\\^") {
		t[c] = fSep
	}
	t['.'] = fDot
	t[':'] = fColon | fSub
	t['@'] = fAt
	t['='] = fSub | fOther
	t['/'] = fSub | fOther
	t['['] = fSub | fBracket
	t[']'] = fSub | fBracket
	t['-'] = fDash
	t['_'] = fDash
	return t
}()

const (
	fWord   = fDigit | fHexAlpha | fAlpha | fDash
	fHexDig = fDigit | fHexAlpha
)

// Scan calls fn for every token of s that may be an observable, with its
// kind, until fn returns false (then Scan returns false too). Tokens are
// sub-slices of s, not normalised: a caller checks them (Normalise, or the
// matcher's own lookups). Tokens are split at white space, control
// characters and "'`,;|(){}<>\^; within a token, a URL (scheme://…) is
// taken whole, an IPv6 address ("[2001:db8::1]:443") whole, and the rest is
// split at = / : [ ] into parts that are classified one by one, so
// "SHA256=AB…", "C:\Windows\evil.example" and "192.0.2.1:443" give their
// hash, domain and address. Scan does not allocate.
func Scan(s []byte, fn func(Kind, []byte) bool) bool {
	i, n := 0, len(s)
	for i < n {
		for i < n && class[s[i]]&fSep != 0 {
			i++
		}
		start := i
		var f uint16
		for i < n {
			c := class[s[i]]
			if c&fSep != 0 {
				break
			}
			f |= c
			i++
		}
		if i-start >= 3 && !token(s[start:i], f, fn) {
			return false
		}
	}
	return true
}

func token(t []byte, f uint16, fn func(Kind, []byte) bool) bool {
	if f&^fWord == 0 {
		// A plain word: only a hash can hide in it.
		if f&^fHexDig == 0 && HashType(len(t)) != "" {
			return fn(KindHash, t)
		}
		return true
	}
	if f&fColon != 0 {
		if f&fOther != 0 {
			if k := indexSchemeSep(t); k > 0 {
				j := k
				for j > 0 && isSchemeChar(t[j-1]) {
					j--
				}
				for j < k && !isAlpha(t[j]) {
					j++
				}
				if k-j >= 2 {
					u := trimURLEnd(t[j:])
					if len(u) > k-j+3 {
						return fn(KindURL, u)
					}
					return true
				}
			}
		}
		if f&^(fHexDig|fColon|fSub|fDot|fBracket) == 0 {
			if a, ok := ipv6Shape(t); ok {
				return fn(KindIPv6, a)
			}
		}
	}
	if f&fSub == 0 {
		return part(t, f, fn)
	}
	start := 0
	var pf uint16
	for i := 0; i <= len(t); i++ {
		if i < len(t) {
			c := class[t[i]]
			if c&fSub == 0 {
				pf |= c
				continue
			}
		}
		end := i
		// A dotted quad followed by /bits stays one part (a CIDR).
		if i < len(t) && t[i] == '/' && isDottedQuad(t[start:i]) {
			j := i + 1
			for j < len(t) && j-i <= 3 && isDigit(t[j]) {
				j++
			}
			if j > i+1 && (j == len(t) || !isAlnum(t[j])) {
				if !fn(KindIPv4, t[start:j]) {
					return false
				}
				i, start = j, j+1
				continue
			}
		}
		if end-start >= 3 && !part(t[start:end], pf, fn) {
			return false
		}
		start, pf = i+1, 0
	}
	return true
}

// part classifies one part of a token; f is the union of its byte
// classes.
func part(p []byte, f uint16, fn func(Kind, []byte) bool) bool {
	n := len(p)
	for len(p) > 0 && !isAlnum(p[0]) {
		p = p[1:]
	}
	for len(p) > 0 && !isAlnum(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	if len(p) < 3 {
		return true
	}
	if len(p) != n {
		f = 0
		for _, c := range p {
			f |= class[c]
		}
	}
	switch {
	case f&fAt != 0:
		at := lastIndexByte(p, '@')
		if at > 0 && isDomainShape(p[at+1:]) {
			return fn(KindEmail, p)
		}
	case f&fDot != 0 && f&^(fDigit|fDot) == 0:
		if isDottedQuad(p) {
			return fn(KindIPv4, p)
		}
	case f&^fHexDig == 0:
		if HashType(len(p)) != "" {
			return fn(KindHash, p)
		}
	case f&fDot != 0 && f&^(fWord|fDot) == 0 && f&(fHexAlpha|fAlpha) != 0:
		return fn(KindDomain, p)
	}
	return true
}

// ipv6Shape strips brackets and a port and says whether what is left looks
// like an IPv6 address: hex groups with "::" or exactly 7 colons (6 with a
// dotted quad at the end).
func ipv6Shape(t []byte) ([]byte, bool) {
	if t[0] == '[' {
		t = t[1:]
		if rb := indexByte(t, ']'); rb >= 0 {
			t = t[:rb]
		}
	}
	colons, dots, double := 0, 0, false
	for i, c := range t {
		switch c {
		case ':':
			colons++
			if i > 0 && t[i-1] == ':' {
				double = true
			}
		case '.':
			dots++
		case '[', ']':
			return nil, false
		}
	}
	if colons < 2 || colons > 7 {
		return nil, false
	}
	if dots != 0 && dots != 3 {
		return nil, false
	}
	if double || colons == 7 || (colons == 6 && dots == 3) {
		return t, true
	}
	return nil, false
}

func isDottedQuad(p []byte) bool {
	dots, run := 0, 0
	for _, c := range p {
		switch {
		case c == '.':
			if run == 0 {
				return false
			}
			dots++
			run = 0
		case isDigit(c):
			run++
			if run > 3 {
				return false
			}
		default:
			return false
		}
	}
	return dots == 3 && run > 0
}

func isDomainShape(d []byte) bool {
	var f uint16
	for _, c := range d {
		f |= class[c]
	}
	return len(d) >= 3 && f&fDot != 0 && f&^(fWord|fDot) == 0 && f&(fHexAlpha|fAlpha) != 0
}

func isSchemeChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// trimURLEnd drops punctuation that ends a sentence rather than a URL.
func trimURLEnd(u []byte) []byte {
	for len(u) > 0 {
		switch u[len(u)-1] {
		case '.', ',', ';', ':', '!', '?', ')', ']', '>', '\'', '"':
			u = u[:len(u)-1]
			continue
		}
		break
	}
	return u
}

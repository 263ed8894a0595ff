package sigma

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type predKind uint8

const (
	pStr      predKind = iota // string comparison (op below)
	pRe                       // regular expression
	pCmp                      // numeric comparison
	pCidr                     // IP in prefix
	pExists                   // field present
	pNull                     // field absent or JSON null
	pFieldRef                 // compare with another field
	pTime                     // part of a timestamp compared with a number
)

type strOp uint8

const (
	opEq       strOp = iota // whole value
	opContains              // anywhere
	opPrefix                // at the start
	opSuffix                // at the end
	opGlob                  // wildcard pattern
	opAny                   // any non-null value ('*')
	opEmpty                 // empty value ('')
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpGt
	cmpGte
	cmpLt
	cmpLte
)

type timePart uint8

const (
	tMinute timePart = iota
	tHour
	tDay
	tWeek
	tMonth
	tYear
)

// pred is one elementary test on one field (field "" = any value of the
// event, for keyword searches). Identical preds are shared as one atom.
type pred struct {
	kind   predKind
	field  string
	op     strOp
	cased  bool
	lit    string // pStr eq/contains/prefix/suffix (lower-cased unless cased)
	glob   []gtok // pStr opGlob (literals lower-cased unless cased)
	re     *regexp.Regexp
	cmp    cmpOp
	num    float64
	prefix netip.Prefix
	ref    string // pFieldRef: the other field
	part   timePart
}

// gtok is one token of a wildcard pattern: a literal run or a wildcard.
type gtok struct {
	wild byte // 0 literal, '*' any run, '?' one character
	lit  string
}

func (p *pred) key() string {
	var b strings.Builder
	b.WriteByte(byte('0' + p.kind))
	b.WriteByte(0x1f)
	b.WriteString(p.field)
	b.WriteByte(0x1f)
	b.WriteByte(byte('0' + p.op))
	if p.cased {
		b.WriteByte('C')
	}
	b.WriteByte(byte('0' + p.cmp))
	b.WriteByte(byte('0' + p.part))
	b.WriteByte(0x1f)
	switch p.kind {
	case pStr:
		if p.op == opGlob {
			for _, t := range p.glob {
				if t.wild != 0 {
					b.WriteByte(0)
					b.WriteByte(t.wild)
				} else {
					b.WriteString(t.lit)
				}
			}
		} else {
			b.WriteString(p.lit)
		}
	case pRe:
		b.WriteString(p.re.String())
	case pCmp, pTime:
		b.WriteString(strconv.FormatFloat(p.num, 'g', -1, 64))
	case pCidr:
		b.WriteString(p.prefix.String())
	case pFieldRef:
		b.WriteString(p.ref)
	}
	return b.String()
}

// foldLower appends the case-folded form of s used for case-insensitive
// matching: ASCII letters lowered, other runes by unicode.ToLower.
func foldLower(dst []byte, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n <= 1 {
			dst = append(dst, s[i])
			i++
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

func foldString(s string) string { return string(foldLower(nil, []byte(s))) }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// globMatch reports whether s matches the wildcard tokens; '?' matches one
// UTF-8 character.
func globMatch(toks []gtok, s []byte) bool {
	// Iterative matcher with backtracking to the last '*'.
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.wild {
			case '*':
				starT, starS = ti, si
				ti++
				continue
			case '?':
				if si < len(s) {
					_, n := utf8.DecodeRune(s[si:])
					si += n
					ti++
					continue
				}
			default:
				if len(s)-si >= len(t.lit) && string(s[si:si+len(t.lit)]) == t.lit {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRune(s[starS:])
		starS += n
		ti, si = starT+1, starS
	}
}

// longestLiteral returns the longest literal run of a glob.
func longestLiteral(toks []gtok) string {
	best := ""
	for _, t := range toks {
		if t.wild == 0 && len(t.lit) > len(best) {
			best = t.lit
		}
	}
	return best
}

func bytesIndex(b []byte, s string) int { return strings.Index(bytesString(b), s) }

package match

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting the raw walker follows; deeper values are
// not matched (intake's events are flat or nearly so).
const maxDepth = 64

// walkRaw finds every string value of the JSON document b without
// building a tree: it jumps from quote to quote, tells keys (followed by
// ':') from values, keeps the path of keys through '{' and '}', and hands
// each value, unescaped, to sc.value. For a valid document it sees the
// same values, with the same paths, as the fastjson walk (a fuzz test
// holds it to that); for an invalid one it stops or sees some values, and
// never reads outside b.
func (sc *scratch) walkRaw(b []byte) {
	var stack [maxDepth]byte // '{' or '['
	depth := 0
	keys := sc.path[:0] // one key slot per open object
	expectKey := false  // the next string of this object is a key
	n := len(b)
	i := 0
	for i < n {
		switch b[i] {
		case '{':
			if depth == maxDepth {
				return
			}
			stack[depth] = '{'
			depth++
			keys = append(keys, nil)
			expectKey = true
			i++
		case '[':
			if depth == maxDepth {
				return
			}
			stack[depth] = '['
			depth++
			expectKey = false
			i++
		case '}', ']':
			if depth == 0 {
				return
			}
			depth--
			if stack[depth] == '{' {
				keys = keys[:len(keys)-1]
			}
			expectKey = false
			i++
		case ',':
			expectKey = depth > 0 && stack[depth-1] == '{'
			i++
		case '"':
			if expectKey {
				end, esc := keyEnd(b, i+1)
				if end < 0 {
					return
				}
				k := b[i+1 : end]
				if esc {
					k = unescape(nil, k) // keys must outlive the value buffer
				}
				keys[len(keys)-1] = k
				expectKey = false
				i = end + 1
				for i < n && b[i] != ':' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
					i++
				}
				if i < n && b[i] == ':' {
					i++
				}
				if depth == 1 && sc.skipKey(k) {
					i = skipValue(b, i)
				}
				continue
			}
			end, esc, marks := stringEnd(b, i+1)
			if end < 0 {
				return
			}
			s := b[i+1 : end]
			i = end + 1
			sc.path = keys
			if esc {
				sc.unesc = unescape(sc.unesc[:0], s)
				sc.value(sc.unesc, true)
			} else {
				sc.value(s, marks)
			}
		default:
			// Numbers, literals, white space and ':' between strings:
			// nothing to see up to the next structural byte.
			k := indexStructural(b[i:])
			if k < 0 {
				return
			}
			i += k
		}
	}
}

// indexStructural finds the next quote, bracket or comma.
func indexStructural(b []byte) int {
	for i, c := range b {
		switch c {
		case '"', '{', '}', '[', ']', ',':
			return i
		}
	}
	return -1
}

// keyEnd is stringEnd for a key: it looks for the closing quote only.
func keyEnd(b []byte, i int) (end int, esc bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for i < len(b) {
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			yq, yb := x^(lo*'"'), x^(lo*'\\')
			q := ((yq-lo)&^yq | (yb-lo)&^yb) & hi
			if q == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(q) / 8
		} else if c := b[i]; c != '"' && c != '\\' {
			i++
			continue
		}
		if b[i] == '"' {
			return i, esc
		}
		esc = true
		i += 2
	}
	return -1, esc
}

// strClass marks the bytes stringEnd stops at or notes.
var strClass = func() (t [256]uint8) {
	t['"'] = 1
	t['\\'] = 2
	t['.'] = 3
	t[':'] = 3
	return t
}()

// stringEnd returns the index of the quote that closes the string whose
// first byte is at i (-1 if it is not closed), whether the string holds
// an escape, and whether it holds a '.' or ':' (outside escapes). It
// reads eight bytes at a time: most of an event's bytes are in strings.
func stringEnd(b []byte, i int) (end int, esc, marks bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for i < len(b) {
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			// A byte of y is zero where x holds the byte searched for;
			// (y-lo)&^y&hi flags the lowest such byte exactly (bytes
			// above it may be flagged falsely, which the masks allow).
			yq, yb := x^(lo*'"'), x^(lo*'\\')
			q := ((yq-lo)&^yq | (yb-lo)&^yb) & hi
			yd, yc := x^(lo*'.'), x^(lo*':')
			m := ((yd-lo)&^yd | (yc-lo)&^yc) & hi
			if q == 0 {
				if m != 0 {
					marks = true
				}
				i += 8
				continue
			}
			n := bits.TrailingZeros64(q) / 8
			if m&(1<<(8*n)-1) != 0 {
				marks = true
			}
			i += n
		} else {
			switch strClass[b[i]] {
			case 0:
				i++
				continue
			case 3:
				marks = true
				i++
				continue
			}
		}
		// b[i] is a quote or a backslash.
		if b[i] == '"' {
			return i, esc, marks
		}
		esc = true
		i += 2
	}
	return -1, esc, marks
}

// skipValue returns the index just past the JSON value that starts at or
// after i (a string, a literal or number, or a balanced object or array).
func skipValue(b []byte, i int) int {
	n := len(b)
	for i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	if i >= n {
		return n
	}
	switch b[i] {
	case '"':
		end, _, _ := stringEnd(b, i+1)
		if end < 0 {
			return n
		}
		return end + 1
	case '{', '[':
		depth := 0
		for i < n {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"':
				end, _, _ := stringEnd(b, i+1)
				if end < 0 {
					return n
				}
				i = end
			}
			i++
		}
		return n
	}
	for i < n && b[i] != ',' && b[i] != '}' && b[i] != ']' {
		i++
	}
	return i
}

func (sc *scratch) skipKey(k []byte) bool {
	for _, f := range sc.set.skip {
		if string(k) == f {
			return true
		}
	}
	return false
}

// unescape decodes JSON string escapes the way fastjson does: a bad or
// unknown escape is kept as written.
func unescape(dst, s []byte) []byte {
	for len(s) > 0 {
		n := bytes.IndexByte(s, '\\')
		if n < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:n]...)
		s = s[n+1:]
		if len(s) == 0 {
			return dst
		}
		ch := s[0]
		s = s[1:]
		switch ch {
		case '"', '\\', '/':
			dst = append(dst, ch)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			x, ok := hex4(s)
			if !ok {
				dst = append(dst, '\\', 'u')
				break
			}
			xs := s[:4]
			s = s[4:]
			if !utf16.IsSurrogate(rune(x)) {
				dst = utf8.AppendRune(dst, rune(x))
				break
			}
			if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
				dst = append(dst, '\\', 'u')
				dst = append(dst, xs...)
				break
			}
			x1, ok := hex4(s[2:])
			if !ok {
				dst = append(dst, '\\', 'u')
				dst = append(dst, xs...)
				break
			}
			dst = utf8.AppendRune(dst, utf16.DecodeRune(rune(x), rune(x1)))
			s = s[6:]
		default:
			dst = append(dst, '\\', ch)
		}
	}
	return dst
}

func hex4(s []byte) (uint64, bool) {
	if len(s) < 4 {
		return 0, false
	}
	x, err := strconv.ParseUint(string(s[:4]), 16, 16)
	return x, err == nil
}

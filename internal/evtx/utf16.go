package evtx

import (
	"unicode/utf16"
	"unicode/utf8"
)

// hexUpper and hexLower are the digit sets used when rendering values.
const (
	hexUpper = "0123456789ABCDEF"
	hexLower = "0123456789abcdef"
)

// jsonSafe marks the ASCII bytes that need no escaping inside a JSON string.
var jsonSafe = func() (t [128]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendEscapedByte appends the JSON escape for an ASCII byte that is not
// safe (a quote, a backslash or a control character).
func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
}

// appendUTF16JSON decodes UTF-16LE bytes b straight into dst as the inside of
// a JSON string. Unpaired surrogates become U+FFFD. An odd trailing byte is
// ignored.
func appendUTF16JSON(dst []byte, b []byte) []byte {
	n := len(b) &^ 1
	for i := 0; i < n; i += 2 {
		u := uint16(b[i]) | uint16(b[i+1])<<8
		if u < 0x80 {
			c := byte(u)
			if jsonSafe[c] {
				dst = append(dst, c)
			} else {
				dst = appendEscapedByte(dst, c)
			}
			continue
		}
		r := rune(u)
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if u < 0xdc00 && i+3 < n {
				u2 := uint16(b[i+2]) | uint16(b[i+3])<<8
				if u2 >= 0xdc00 && u2 <= 0xdfff {
					r = utf16.DecodeRune(rune(u), rune(u2))
					i += 2
				}
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// appendLatin1JSON appends single-byte (ANSI) text as the inside of a JSON
// string; bytes above 0x7f are taken as Latin-1.
func appendLatin1JSON(dst []byte, b []byte) []byte {
	for _, c := range b {
		switch {
		case c >= 0x80:
			dst = utf8.AppendRune(dst, rune(c))
		case jsonSafe[c]:
			dst = append(dst, c)
		default:
			dst = appendEscapedByte(dst, c)
		}
	}
	return dst
}

// appendStringJSON appends a Go string as the inside of a JSON string.
func appendStringJSON(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || jsonSafe[c] {
			dst = append(dst, c)
		} else {
			dst = appendEscapedByte(dst, c)
		}
	}
	return dst
}

// utf16String decodes UTF-16LE bytes into a Go string (used for names, which
// are cached per chunk).
func utf16String(b []byte) string {
	n := len(b) / 2
	ascii := true
	for i := 0; i < n; i++ {
		if b[2*i+1] != 0 || b[2*i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = b[2*i]
		}
		return string(buf)
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// trimUTF16NUL cuts UTF-16LE bytes at the first NUL code unit.
func trimUTF16NUL(b []byte) []byte {
	n := len(b) &^ 1
	for i := 0; i < n; i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return b[:i]
		}
	}
	return b[:n]
}

// trimNUL cuts single-byte text at the first NUL byte.
func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// trimUTF16Space cuts trailing whitespace (space, tab, CR, LF) from UTF-16LE
// text, as evtx_dump does for string values.
func trimUTF16Space(b []byte) []byte {
	n := len(b) &^ 1
	for n >= 2 && b[n-1] == 0 {
		switch b[n-2] {
		case ' ', '\t', '\r', '\n':
			n -= 2
			continue
		}
		break
	}
	return b[:n]
}

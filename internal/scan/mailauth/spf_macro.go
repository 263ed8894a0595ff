package mailauth

import (
	"fmt"
	"net"
	"strings"
)

// macroEnv holds the values macros expand to.
type macroEnv struct {
	sender, domain, helo string
	ip                   net.IP
}

// expand expands an SPF macro-string (RFC 7208 §7). With checkOnly it only
// checks the syntax.
func expand(s string, e macroEnv, checkOnly bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return "", fmt.Errorf("invalid character in %q", s)
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("lone %% in %q", s)
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed macro in %q", s)
			}
			v, err := macro(s[i+1:i+end], e, checkOnly)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", fmt.Errorf("bad macro %%%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

func macro(m string, e macroEnv, checkOnly bool) (string, error) {
	if m == "" {
		return "", fmt.Errorf("empty macro")
	}
	letter := m[0] | 0x20
	rest := m[1:]
	digits := 0
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		digits = digits*10 + int(rest[0]-'0')
		if digits > 128 {
			return "", fmt.Errorf("macro %q: too many labels", m)
		}
		rest = rest[1:]
	}
	if len(m) > 1 && m[1] == '0' {
		return "", fmt.Errorf("macro %q: zero labels", m)
	}
	reverse := false
	if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
		reverse, rest = true, rest[1:]
	}
	for _, d := range rest {
		if !strings.ContainsRune(".-+,/_=", d) {
			return "", fmt.Errorf("macro %q: bad delimiter", m)
		}
	}
	if !strings.ContainsRune("slodiphcrtv", rune(letter)) {
		return "", fmt.Errorf("macro %q: unknown letter", m)
	}
	if checkOnly {
		return "x", nil
	}
	var v string
	switch letter {
	case 's':
		v = e.sender
	case 'l':
		v, _, _ = strings.Cut(e.sender, "@")
		if !strings.Contains(e.sender, "@") {
			v = "postmaster"
		}
	case 'o':
		_, v, _ = strings.Cut(e.sender, "@")
	case 'd':
		v = e.domain
	case 'i', 'c':
		if ip4 := e.ip.To4(); ip4 != nil {
			v = ip4.String()
		} else {
			var parts []string
			for _, x := range e.ip.To16() {
				parts = append(parts, fmt.Sprintf("%x", x>>4), fmt.Sprintf("%x", x&15))
			}
			v = strings.Join(parts, ".")
		}
	case 'p':
		v = "unknown"
	case 'v':
		v = "in-addr"
		if e.ip.To4() == nil {
			v = "ip6"
		}
	case 'h':
		v = e.helo
	case 'r':
		v = "unknown"
	case 't':
		v = "0"
	}
	delims := rest
	if delims == "" {
		delims = "."
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if digits > 0 && digits < len(parts) {
		parts = parts[len(parts)-digits:]
	}
	return strings.Join(parts, "."), nil
}

package intel

import (
	"net/netip"
	"strings"
)

// NormaliseURL returns the canonical form of a URL: scheme and host in
// lower case (IPv6 hosts in brackets, internationalised names in
// punycode, no trailing dot), user information dropped, the scheme's
// default port dropped (http 80, https 443, ftp 21, ws 80, wss 443), an
// empty path written "/", dot segments removed, percent-encoding
// normalised (unreserved characters decoded, other escapes in upper-case
// hex, bytes that must be escaped escaped), an empty query dropped and the
// fragment dropped.
func NormaliseURL(raw string) (string, error) {
	out, _, _, err := AppendURL(nil, []byte(strings.TrimSpace(raw)))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// URLError says why a URL could not be normalised.
type URLError struct {
	URL    string
	Reason string
}

func (e *URLError) Error() string { return "url: " + quoteShort(e.URL) + ": " + e.Reason }

func quoteShort(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "\uFFFD") + `"`
}

// AppendURL appends the canonical form of raw (see NormaliseURL) to dst and
// returns it with the offsets of the host within it. On error dst is
// returned unchanged. It allocates only for IPv6 and internationalised
// hosts, so the matcher can use it on every URL it meets.
func AppendURL(dst, raw []byte) (out []byte, hostStart, hostEnd int, err error) {
	out, hostStart, hostEnd, reason := appendURL(dst, raw)
	if reason != "" {
		return dst, 0, 0, &URLError{URL: string(raw), Reason: reason}
	}
	return out, hostStart, hostEnd, nil
}

func appendURL(dst, raw []byte) ([]byte, int, int, string) {
	orig := len(dst)
	k := indexSchemeSep(raw)
	if k < 0 {
		return dst, 0, 0, "no scheme (want scheme://host/…)"
	}
	scheme := raw[:k]
	if len(scheme) == 0 || !isAlpha(scheme[0]) {
		return dst, 0, 0, "bad scheme"
	}
	for _, c := range scheme {
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return dst, 0, 0, "bad scheme"
		}
		dst = append(dst, lower(c))
	}
	schemeLow := dst[orig:]
	dst = append(dst, ':', '/', '/')
	rest := raw[k+3:]
	end := len(rest)
	for i, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			end = i
			break
		}
	}
	auth := rest[:end]
	rest = rest[end:]
	if at := lastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host, port := auth, []byte(nil)
	if len(auth) > 0 && auth[0] == '[' {
		rb := indexByte(auth, ']')
		if rb < 0 {
			return dst[:orig], 0, 0, "unclosed '[' in host"
		}
		host = auth[:rb+1]
		after := auth[rb+1:]
		if len(after) > 0 {
			if after[0] != ':' {
				return dst[:orig], 0, 0, "junk after IPv6 host"
			}
			port = after[1:]
		}
	} else if c := lastIndexByte(auth, ':'); c >= 0 {
		host, port = auth[:c], auth[c+1:]
	}
	hostStart := len(dst)
	var reason string
	dst, reason = appendHost(dst, host)
	if reason != "" {
		return dst[:orig], 0, 0, reason
	}
	hostEnd := len(dst)
	if len(port) > 0 {
		for _, c := range port {
			if !isDigit(c) {
				return dst[:orig], 0, 0, "port is not a number"
			}
		}
		for len(port) > 1 && port[0] == '0' {
			port = port[1:]
		}
		if len(port) > 5 {
			return dst[:orig], 0, 0, "port out of range"
		}
		if string(port) != defaultPort(schemeLow) {
			dst = append(dst, ':')
			dst = append(dst, port...)
		}
	}
	// Path, query, fragment.
	var path, query []byte
	if h := indexByte(rest, '#'); h >= 0 {
		rest = rest[:h]
	}
	if q := indexByte(rest, '?'); q >= 0 {
		path, query = rest[:q], rest[q+1:]
	} else {
		path = rest
	}
	pathStart := len(dst)
	if len(path) == 0 {
		dst = append(dst, '/')
	} else {
		dst = appendPercent(dst, path)
		if hasDotSegment(dst[pathStart:]) {
			p := removeDotSegments(dst[pathStart:])
			dst = append(dst[:pathStart], p...)
		}
	}
	if len(query) > 0 {
		dst = append(dst, '?')
		dst = appendPercent(dst, query)
	}
	return dst, hostStart, hostEnd, ""
}

func defaultPort(scheme []byte) string {
	switch string(scheme) {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// appendHost appends the canonical host: a bracketed IPv6 address, an
// IPv4 address, or a domain.
func appendHost(dst, host []byte) ([]byte, string) {
	if len(host) == 0 {
		return dst, "no host"
	}
	if host[0] == '[' {
		a, err := netip.ParseAddr(string(host[1 : len(host)-1]))
		if err != nil || !a.Is6() || a.Zone() != "" {
			return dst, "bad IPv6 host"
		}
		if a.Is4In6() {
			return a.Unmap().AppendTo(dst), ""
		}
		dst = append(dst, '[')
		dst = a.AppendTo(dst)
		return append(dst, ']'), ""
	}
	if host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	start := len(dst)
	for _, c := range host {
		if c >= 0x80 {
			d, err := normaliseDomain(string(host))
			if err != nil {
				return dst[:start], "bad host"
			}
			return append(dst[:start], d...), ""
		}
		c = lower(c)
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return dst[:start], "character not allowed in host"
		}
		dst = append(dst, c)
	}
	if !validHostLabels(dst[start:]) {
		return dst[:start], "bad host name"
	}
	return dst, ""
}

// validHostLabels checks a lower-case host: 1–253 bytes of labels of 1–63
// bytes.
func validHostLabels(h []byte) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	label := 0
	for _, c := range h {
		if c == '.' {
			if label == 0 {
				return false
			}
			label = 0
			continue
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

// appendPercent appends b with percent-encoding normalised.
func appendPercent(dst, b []byte) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '%' {
			if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
				v := unhex(b[i+1])<<4 | unhex(b[i+2])
				if isUnreserved(v) {
					dst = append(dst, v)
				} else {
					dst = append(dst, '%', hex[v>>4], hex[v&15])
				}
				i += 2
				continue
			}
			dst = append(dst, '%', '2', '5')
			continue
		}
		if isUnreserved(c) || isReserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' && (i == 0 || p[i-1] == '/') {
			j := i + 1
			if j < len(p) && p[j] == '.' {
				j++
			}
			if j == len(p) || p[j] == '/' {
				return true
			}
		}
	}
	return false
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(p []byte) []byte {
	segs := strings.Split(string(p), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return []byte(r)
}

// indexSchemeSep finds "://".
func indexSchemeSep(b []byte) int {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == ':' && b[i+1] == '/' && b[i+2] == '/' {
			return i
		}
	}
	return -1
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}
func isReserved(c byte) bool {
	switch c {
	case ':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}
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

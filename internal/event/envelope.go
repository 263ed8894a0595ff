package event

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// MetaKey is the reserved member every stored event carries first.
const MetaKey = "@kubu"

// OwnMetaKey is where an event's own top-level "@kubu" member is kept (a
// re-shipped kubu export, or a forgery): the envelope's is the only "@kubu".
const OwnMetaKey = "@kubu_original"

// Meta is what kubu knows about an event besides its own fields.
type Meta struct {
	Agency   string    // agency code, or "unassigned"
	Source   string    // "token:<intake token id>", or the syslog sender's address
	Protocol string    // hec, bulk, otlp, syslog-udp, syslog-tcp, syslog-tls
	Host     string    // the host the event is about, when known
	Received time.Time // when intake received it
	Time     time.Time // the event's own time; Received when it carries none
}

// AppendLine appends obj (one JSON object) to dst as an NDJSON line with
// the "@kubu" member first. An object spanning lines is compacted; an
// object with its own top-level "@kubu" member has it renamed OwnMetaKey.
func AppendLine(dst, obj []byte, m *Meta) []byte {
	dst = append(dst, `{"`+MetaKey+`":{"agency":`...)
	dst = jsonw.AppendString(dst, m.Agency)
	dst = append(dst, `,"source":`...)
	dst = jsonw.AppendString(dst, m.Source)
	dst = append(dst, `,"protocol":`...)
	dst = jsonw.AppendString(dst, m.Protocol)
	dst = append(dst, `,"received":"`...)
	dst = m.Received.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","time":"`...)
	t := m.Time
	if t.IsZero() {
		t = m.Received
	}
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","host":`...)
	dst = jsonw.AppendString(dst, m.Host)
	dst = append(dst, '}')
	body := bytes.TrimSpace(obj)
	if bytes.ContainsAny(body, "\r\n") {
		body = compact(body)
	}
	if bytes.Contains(body, []byte(`"`+MetaKey+`"`)) {
		body = renameOwnMeta(body)
	}
	if len(body) >= 2 && body[0] == '{' {
		if inner := bytes.TrimSpace(body[1 : len(body)-1]); len(inner) > 0 {
			dst = append(dst, ',')
			dst = append(dst, inner...)
		}
	}
	return append(dst, '}', '\n')
}

// compact removes insignificant white space from valid JSON; for anything
// else it replaces line breaks with spaces, so a line stays one line.
func compact(b []byte) []byte {
	var c bytes.Buffer
	if json.Compact(&c, b) == nil {
		return c.Bytes()
	}
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), []byte(" ")), []byte("\r"), []byte(" "))
}

// renameOwnMeta renames a top-level "@kubu" member of obj to OwnMetaKey
// (nested ones are left alone).
func renameOwnMeta(obj []byte) []byte {
	depth, inStr, esc := 0, false, false
	for i := 0; i < len(obj); i++ {
		c := obj[i]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			if depth == 1 && bytes.HasPrefix(obj[i:], []byte(`"`+MetaKey+`"`)) {
				j := skipSpace(obj, i+len(MetaKey)+2)
				if j < len(obj) && obj[j] == ':' {
					out := make([]byte, 0, len(obj)+len(OwnMetaKey)-len(MetaKey))
					out = append(out, obj[:i]...)
					out = append(out, `"`+OwnMetaKey+`"`...)
					return append(out, obj[i+len(MetaKey)+2:]...)
				}
			}
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return obj
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// ParseMeta reads the "@kubu" member at the start of a stored line
// without parsing the rest of the event. It returns false when the line
// does not start with one.
func ParseMeta(line []byte) (Meta, bool) {
	m, _, ok := Split(line)
	return m, ok
}

// Split reads the "@kubu" member at the start of a stored line and
// returns it with the index of the byte after it (a ',' before the
// event's own members, or the line's closing '}'). It returns false when
// the line does not start with one.
func Split(line []byte) (Meta, int, bool) {
	var m Meta
	const head = `{"` + MetaKey + `":{`
	if !bytes.HasPrefix(line, []byte(head)) {
		return m, 0, false
	}
	i := len(head)
	for i < len(line) {
		if line[i] == '}' {
			return m, i + 1, i+1 < len(line)
		}
		if line[i] == ',' {
			i++
		}
		key, n, ok := readString(line, i)
		if !ok || n >= len(line) || line[n] != ':' {
			return m, 0, false
		}
		val, n2, ok := readString(line, n+1)
		if !ok {
			return m, 0, false
		}
		i = n2
		switch key {
		case "agency":
			m.Agency = val
		case "source":
			m.Source = val
		case "protocol":
			m.Protocol = val
		case "host":
			m.Host = val
		case "received":
			m.Received, _ = time.Parse(time.RFC3339Nano, val)
		case "time":
			m.Time, _ = time.Parse(time.RFC3339Nano, val)
		}
	}
	return m, 0, false
}

// WithBody calls fn with the event's own object: line without its "@kubu"
// member (the bytes hunt matches on an exported event), given end from
// Split. A line without an envelope (end 0) is passed whole. It borrows
// line's bytes, changing one of them while fn runs; fn must not keep body.
func WithBody(line []byte, end int, fn func(body []byte)) {
	switch {
	case end <= 0 || end >= len(line):
		fn(line)
	case line[end] == ',':
		line[end] = '{'
		defer func() { line[end] = ',' }()
		fn(line[end:])
	default: // the envelope alone: an empty event
		fn([]byte("{}"))
	}
}

// readString reads the JSON string starting at b[i] and returns it and
// the index after it.
func readString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	simple := true
	for i < len(b) {
		switch b[i] {
		case '"':
			if simple {
				return string(b[start:i]), i + 1, true
			}
			s, err := strconv.Unquote(`"` + string(b[start:i]) + `"`)
			if err != nil {
				// JSON escapes Go does not know (\/) or surrogate pairs.
				s = unescapeJSON(b[start:i])
			}
			return s, i + 1, true
		case '\\':
			simple = false
			i += 2
			continue
		}
		i++
	}
	return "", i, false
}

// unescapeJSON decodes a JSON string body that strconv.Unquote refused.
func unescapeJSON(b []byte) string {
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, b...), '"'), &s) == nil {
		return s
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch b[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if i+4 < len(b) {
				if v, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(v))
					i += 4
					continue
				}
			}
			out = append(out, 'u')
		default:
			out = append(out, b[i])
		}
	}
	return string(out)
}

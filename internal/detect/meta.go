package detect

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// eventMeta is the "@kubu" member intake writes first in every event.
type eventMeta struct {
	Agency, Source, Protocol, Host string
	Received, Time                 time.Time
}

// parseMeta reads the "@kubu" member at the start of an event line
// without parsing the rest of the event. It returns false when the line
// does not start with one.
func parseMeta(line []byte) (eventMeta, bool) {
	var m eventMeta
	const head = `{"@kubu":{`
	if !bytes.HasPrefix(line, []byte(head)) {
		return m, false
	}
	i := len(head)
	for i < len(line) {
		if line[i] == '}' {
			return m, true
		}
		if line[i] == ',' {
			i++
		}
		key, n, ok := readString(line, i)
		if !ok || n >= len(line) || line[n] != ':' {
			return m, false
		}
		val, n2, ok := readString(line, n+1)
		if !ok {
			return m, false
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
	return m, false
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

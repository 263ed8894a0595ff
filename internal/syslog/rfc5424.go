package syslog

import (
	"bytes"
	"strings"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parse5424 parses the part of an RFC 5424 message after "<PRI>VERSION SP":
// TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG].
// Header field lengths are not limited to the RFC maxima: an over-long
// hostname is kept rather than losing the message.
func (p *Parser) parse5424(m *Message, b []byte, pos int) error {
	tok, next, err := headerField(b, pos, "TIMESTAMP")
	if err != nil {
		return err
	}
	if tok != "-" {
		ts, n, ok := parseRFC3339(b[pos:next-1], p.location())
		if !ok || n != next-1-pos {
			return errAt(pos+n, "invalid RFC 5424 TIMESTAMP %q", tok)
		}
		m.Timestamp = ts.t
		m.ZoneAssumed = !ts.hasZone
	}
	pos = next
	fields := [...]struct {
		name string
		dst  *string
	}{{"HOSTNAME", &m.Hostname}, {"APP-NAME", &m.AppName}, {"PROCID", &m.ProcID}, {"MSGID", &m.MsgID}}
	for _, f := range fields {
		tok, next, err = headerField(b, pos, f.name)
		if err != nil {
			return err
		}
		if tok != "-" {
			*f.dst = tok
		}
		pos = next
	}
	if pos >= len(b) {
		return errAt(pos, "missing STRUCTURED-DATA")
	}
	if b[pos] == '-' {
		pos++
	} else {
		sd, n, err := parseSD(b, pos)
		if err != nil {
			return err
		}
		m.StructuredData = sd
		pos = n
	}
	if pos == len(b) {
		return nil
	}
	if b[pos] != ' ' {
		return errAt(pos, "expected space after STRUCTURED-DATA, found %q", b[pos])
	}
	setMsg(m, b[pos+1:])
	return nil
}

// headerField returns the token at pos, which must be non-empty printable
// ASCII and followed by a space, and the position after that space.
func headerField(b []byte, pos int, name string) (string, int, error) {
	i := pos
	for i < len(b) && b[i] != ' ' {
		if b[i] < 33 || b[i] > 126 {
			return "", 0, errAt(i, "invalid byte %#02x in %s", b[i], name)
		}
		i++
	}
	if i == pos {
		if i == len(b) {
			return "", 0, errAt(i, "missing %s", name)
		}
		return "", 0, errAt(i, "empty %s (extra space?)", name)
	}
	if i == len(b) {
		return "", 0, errAt(i, "message ends after %s", name)
	}
	return string(b[pos:i]), i + 1, nil
}

func setMsg(m *Message, msg []byte) {
	if bytes.HasPrefix(msg, utf8BOM) {
		m.MsgBOM = true
		msg = msg[len(utf8BOM):]
	}
	m.Msg = string(msg)
}

// parseSD parses one or more SD-ELEMENTs starting at pos (which holds '[')
// and returns the position after the last ']'.
func parseSD(b []byte, pos int) ([]SDElement, int, error) {
	var out []SDElement
	for pos < len(b) && b[pos] == '[' {
		var el SDElement
		pos++
		id, n := sdName(b, pos)
		if n == pos {
			return nil, n, errAt(n, "empty SD-ID")
		}
		el.ID = id
		pos = n
		for {
			if pos >= len(b) {
				return nil, pos, errAt(pos, "unterminated SD-ELEMENT %q", el.ID)
			}
			if b[pos] == ']' {
				pos++
				break
			}
			if b[pos] != ' ' {
				return nil, pos, errAt(pos, "expected space or ']' in SD-ELEMENT %q, found %q", el.ID, b[pos])
			}
			pos++
			name, n := sdName(b, pos)
			if n == pos {
				return nil, n, errAt(n, "empty PARAM-NAME in SD-ELEMENT %q", el.ID)
			}
			pos = n
			if pos+1 >= len(b) || b[pos] != '=' || b[pos+1] != '"' {
				return nil, pos, errAt(pos, "expected '=\"' after PARAM-NAME %q", name)
			}
			val, n, err := sdValue(b, pos+2)
			if err != nil {
				return nil, n, err
			}
			pos = n
			el.Params = append(el.Params, SDParam{Name: name, Value: val})
		}
		out = append(out, el)
	}
	if len(out) == 0 {
		return nil, pos, errAt(pos, "expected '[' or '-' for STRUCTURED-DATA")
	}
	return out, pos, nil
}

// sdName reads an SD-NAME: printable ASCII except '=', SP, ']' and '"'.
func sdName(b []byte, pos int) (string, int) {
	i := pos
	for i < len(b) {
		c := b[i]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' {
			break
		}
		i++
	}
	return string(b[pos:i]), i
}

// sdValue reads a PARAM-VALUE up to its closing quote (pos is just after the
// opening quote). Backslash escapes only '"', '\' and ']'; before any other
// byte it is kept, as RFC 5424 section 6.3.3 requires.
func sdValue(b []byte, pos int) (string, int, error) {
	start := pos
	var sb strings.Builder
	plain := true
	for i := pos; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			if plain {
				return string(b[start:i]), i + 1, nil
			}
			sb.Write(b[pos:i])
			return sb.String(), i + 1, nil
		case '\\':
			if i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
				plain = false
				sb.Write(b[pos:i])
				sb.WriteByte(b[i+1])
				i++
				pos = i + 1
			}
		}
	}
	return "", len(b), errAt(start-1, "unterminated PARAM-VALUE")
}

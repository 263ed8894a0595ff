package syslog

import (
	"time"
)

// Parser holds the options for parsing. The zero value is ready to use: it
// takes time.Now as the reference time and UTC as the assumed zone.
type Parser struct {
	// Now returns the reference time used to choose the year of RFC 3164
	// timestamps, which carry none: the year that puts the timestamp nearest
	// to Now wins (so "Dec 31 23:59:59" received on 1 January is last year).
	Now func() time.Time
	// Location is applied to timestamps that carry no zone. Nil means UTC.
	Location *time.Location
}

// Parse parses one syslog message with the default Parser.
func Parse(b []byte) (Message, error) {
	var p Parser
	return p.Parse(b)
}

// Parse parses one syslog message, detecting RFC 5424 or RFC 3164. Trailing
// LF, CR and NUL bytes (frame trailers) are ignored.
func (p *Parser) Parse(b []byte) (Message, error) {
	var m Message
	for len(b) > 0 {
		c := b[len(b)-1]
		if c != '\n' && c != '\r' && c != 0 {
			break
		}
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return m, errAt(0, "empty message")
	}
	pos := 0
	m.Facility, m.Severity = DefaultPriority/8, DefaultPriority%8
	if b[0] == '<' {
		pri, n, err := parsePRI(b)
		if err != nil {
			return m, err
		}
		m.HasPriority = true
		m.Facility, m.Severity = uint8(pri/8), uint8(pri%8)
		pos = n
	}
	if m.HasPriority {
		if v, n, ok := version5424(b[pos:]); ok {
			m.Format = RFC5424
			m.Version = v
			return m, p.parse5424(&m, b, pos+n)
		}
	}
	m.Format = RFC3164
	p.parse3164(&m, b, pos)
	return m, nil
}

func (p *Parser) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Parser) location() *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return time.UTC
}

// parsePRI reads "<N>" with N in 0..191 and returns N and the bytes used.
func parsePRI(b []byte) (int, int, error) {
	pri, i := 0, 1
	for ; i < len(b) && i <= 4; i++ {
		c := b[i]
		if c == '>' || i == 4 {
			break
		}
		if c < '0' || c > '9' {
			return 0, 0, errAt(i, "invalid PRI: expected digit, found %q", c)
		}
		pri = pri*10 + int(c-'0')
	}
	switch {
	case i >= len(b):
		return 0, 0, errAt(i, "invalid PRI: missing '>'")
	case b[i] != '>':
		return 0, 0, errAt(i, "invalid PRI: more than 3 digits")
	case i == 1:
		return 0, 0, errAt(i, "invalid PRI: no digits")
	case pri > 191:
		return 0, 0, errAt(1, "invalid PRI %d: above 191", pri)
	}
	return pri, i + 1, nil
}

// version5424 recognises the RFC 5424 VERSION field: 1-3 digits, no leading
// zero, followed by a space.
func version5424(b []byte) (int, int, bool) {
	v, i := 0, 0
	for ; i < len(b) && i < 4; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int(c-'0')
	}
	if i == 0 || i > 3 || b[0] == '0' || i >= len(b) || b[i] != ' ' {
		return 0, 0, false
	}
	return v, i + 1, true
}

package syslog

import (
	"time"
)

// parse3164 parses everything after the optional PRI as a BSD syslog
// message. It is deliberately forgiving: any byte sequence yields a message,
// and what cannot be recognised as header stays in Msg.
//
// Recognised shapes, in order:
//
//	[SEQ: ][*|.]TIMESTAMP[:] [HOSTNAME ][TAG[\[PID\]]:] MSG
//
// where TIMESTAMP is one of "Mmm dd hh:mm:ss[.frac][ YYYY][ ZONE]",
// "Mmm dd YYYY hh:mm:ss", "YYYY Mmm dd hh:mm:ss" or an RFC 3339 timestamp
// (rsyslog's RSYSLOG_ForwardFormat and similar templates). Without a valid
// timestamp the whole remainder is MSG, as RFC 3164 section 4.3.3 says.
func (p *Parser) parse3164(m *Message, b []byte, pos int) {
	if n := ciscoSequence(b, pos); n > 0 {
		m.Sequence = string(b[pos : pos+n-2])
		pos += n
	}
	start := pos
	if pos < len(b) && (b[pos] == '*' || b[pos] == '.') {
		pos++ // Cisco: '*' clock not synchronised, '.' lost sync
	}
	n := p.timestamp3164(m, b, pos)
	if n == 0 {
		setMsg(m, b[start:])
		return
	}
	pos += n
	if pos < len(b) && b[pos] == ':' {
		pos++ // Cisco "…UTC: %SYS-5-…"
	}
	for pos < len(b) && b[pos] == ' ' {
		pos++
	}
	if n := hostname3164(b, pos); n > 0 {
		m.Hostname = string(b[pos : pos+n])
		pos += n + 1
		for pos < len(b) && b[pos] == ' ' {
			pos++
		}
		// Cisco ASA: "asa01 : %ASA-6-…"
		if pos+1 < len(b) && b[pos] == ':' && b[pos+1] == ' ' {
			pos += 2
		}
	}
	if tag, pid, n := tag3164(b, pos); n > 0 {
		m.AppName, m.ProcID = tag, pid
		pos += n
	}
	setMsg(m, b[pos:])
}

// ciscoSequence recognises "NNN: " at pos and returns its length.
func ciscoSequence(b []byte, pos int) int {
	i := pos
	for i < len(b) && i-pos < 10 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == pos || i+1 >= len(b) || b[i] != ':' || b[i+1] != ' ' {
		return 0
	}
	return i + 2 - pos
}

// timestamp3164 parses a timestamp at pos into m and returns the bytes used,
// or 0 when none is there.
func (p *Parser) timestamp3164(m *Message, b []byte, pos int) int {
	loc := p.location()
	if y, ok := digits(b, pos, 4); ok && pos+4 < len(b) {
		switch b[pos+4] {
		case '-':
			st, n, ok := parseRFC3339(b[pos:], loc)
			if !ok || (pos+n < len(b) && b[pos+n] != ' ') {
				return 0
			}
			m.Timestamp, m.ZoneAssumed = st.t, !st.hasZone
			return n
		case ' ':
			n := p.bsdStamp(m, b, pos+5, y)
			if n == 0 {
				return 0
			}
			return 5 + n
		}
		return 0
	}
	return p.bsdStamp(m, b, pos, 0)
}

// bsdStamp parses "Mmm dd[ YYYY] hh:mm:ss[.frac][ YYYY][ ZONE]"; year is
// non-zero when it was already read before the month.
func (p *Parser) bsdStamp(m *Message, b []byte, pos int, year int) int {
	start := pos
	mo, ok := month(b, pos)
	if !ok || pos+3 >= len(b) || b[pos+3] != ' ' {
		return 0
	}
	pos += 4
	d, n, ok := bsdDay(b, pos)
	if !ok || pos+n >= len(b) || b[pos+n] != ' ' {
		return 0
	}
	pos += n + 1
	if year == 0 {
		if y, ok := digits(b, pos, 4); ok && pos+4 < len(b) && b[pos+4] == ' ' {
			year = y // Cisco ASA: "Jan 05 2019 12:00:00"
			pos += 5
		}
	}
	h, mi, s, ns, n, ok := clock(b, pos)
	if !ok {
		return 0
	}
	pos += n
	if year == 0 {
		if y, ok := digits(b, pos+1, 4); ok && b[pos] == ' ' && (pos+5 == len(b) || b[pos+5] == ' ' || b[pos+5] == ':') {
			year = y
			pos += 5
		}
	}
	loc, zoned := p.location(), false
	if z, zn := zone(b, pos, year != 0); zn > 0 {
		if z != nil {
			loc, zoned = z, true
		}
		pos += zn
		if year == 0 {
			if y, ok := digits(b, pos+1, 4); ok && b[pos] == ' ' && (pos+5 == len(b) || b[pos+5] == ' ') {
				year = y // RFC 3164 example: "Aug 24 05:34:00 CST 1987"
				pos += 5
			}
		}
	}
	if year != 0 {
		if !validDate(year, mo, d) {
			return 0
		}
		m.Timestamp = time.Date(year, time.Month(mo), d, h, mi, s, ns, loc)
	} else {
		t, ok := nearestYear(p.now().In(loc), mo, d, h, mi, s, ns, loc)
		if !ok {
			return 0
		}
		m.Timestamp, m.YearAssumed = t, true
	}
	m.ZoneAssumed = !zoned
	return pos - start
}

// zone recognises a time-zone word after the clock: " UTC", " GMT", " Z",
// " TZ-6" and similar. A bare abbreviation other than UTC/GMT (e.g. "CST",
// which is ambiguous) is skipped only where it cannot be a hostname: before
// a year, before a ':' (Cisco) or after a year was read; the parser's
// Location then still applies (nil location, n > 0). n is 0 when no zone
// word is there.
func zone(b []byte, pos int, haveYear bool) (*time.Location, int) {
	if pos >= len(b) || b[pos] != ' ' {
		return nil, 0
	}
	i := pos + 1
	for i < len(b) && i-pos <= 5 && b[i] >= 'A' && b[i] <= 'Z' {
		i++
	}
	letters := i - pos - 1
	if letters == 0 || letters > 5 {
		return nil, 0
	}
	word := string(b[pos+1 : i])
	off, hasOff := 0, false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		j, v := i+1, 0
		for j < len(b) && j-i <= 2 && b[j] >= '0' && b[j] <= '9' {
			v = v*10 + int(b[j]-'0')
			j++
		}
		if j > i+1 && v <= 14 {
			if b[i] == '-' {
				v = -v
			}
			off, hasOff, i = v*3600, true, j
		}
	}
	end := i == len(b) || b[i] == ' ' || b[i] == ':'
	if !end {
		return nil, 0
	}
	utc := word == "UTC" || word == "GMT" || word == "UT" || word == "Z"
	switch {
	case hasOff && (utc || word == "TZ"):
		return fixedZone(off), i - pos
	case utc && !hasOff:
		return time.UTC, i - pos
	}
	beforeYear := false
	if _, ok := digits(b, i+1, 4); ok && i < len(b) && b[i] == ' ' {
		beforeYear = true
	}
	if i < len(b) && b[i] == ':' || beforeYear || haveYear {
		return nil, i - pos
	}
	return nil, 0
}

func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_' || c == ':'
}

// hostname3164 returns the length of a hostname token at pos, or 0 when the
// next token is not one (it ends with ':' or holds '[' — then it is a TAG —
// or it is the last token).
func hostname3164(b []byte, pos int) int {
	i := pos
	for i < len(b) && b[i] != ' ' {
		if !isHostByte(b[i]) {
			return 0
		}
		i++
	}
	if i == pos || i == len(b) || b[i-1] == ':' {
		return 0
	}
	return i - pos
}

// tag3164 recognises "TAG: ", "TAG[PID]: " and "TAG[PID] " at pos and
// returns the tag, the pid and the bytes to skip (0 when there is no tag).
func tag3164(b []byte, pos int) (string, string, int) {
	i := pos
	for i < len(b) && i-pos <= 64 && b[i] > ' ' && b[i] != '[' && b[i] != ':' {
		i++
	}
	if i == pos || i == len(b) || i-pos > 64 {
		return "", "", 0
	}
	tag, pid := string(b[pos:i]), ""
	if b[i] == '[' {
		j := i + 1
		for j < len(b) && j-i <= 128 && b[j] != ']' && b[j] > ' ' {
			j++
		}
		if j == len(b) || b[j] != ']' {
			return "", "", 0
		}
		pid = string(b[i+1 : j])
		i = j + 1
		if i < len(b) && b[i] == ':' {
			i++
		}
	} else {
		i++ // the ':'
	}
	switch {
	case i == len(b):
		return tag, pid, i - pos
	case b[i] == ' ':
		return tag, pid, i + 1 - pos
	}
	return "", "", 0
}

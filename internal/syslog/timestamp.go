package syslog

import (
	"time"
)

type stamp struct {
	t       time.Time
	hasZone bool
}

// digits reads exactly n ASCII digits at b[pos:].
func digits(b []byte, pos, n int) (int, bool) {
	if pos+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[pos : pos+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// fraction reads ".ddd…" (1-9 digits; further digits are read and dropped)
// at pos and returns nanoseconds and the bytes used (0 when absent).
func fraction(b []byte, pos int) (int, int) {
	if pos >= len(b) || (b[pos] != '.' && b[pos] != ',') {
		return 0, 0
	}
	i, ns, scale := pos+1, 0, 100000000
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if scale > 0 {
			ns += int(b[i]-'0') * scale
			scale /= 10
		}
		i++
	}
	if i == pos+1 {
		return 0, 0
	}
	return ns, i - pos
}

func validClock(h, mi, s int) bool { return h <= 23 && mi <= 59 && s <= 60 }

func validDate(y, mo, d int) bool {
	if mo < 1 || mo > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, time.Month(mo))
}

func daysIn(y int, mo time.Month) int {
	return time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseRFC3339 reads FULL-DATE "T" FULL-TIME as RFC 5424 uses it, tolerating
// a missing offset, a "±hhmm" offset and up to nine fraction digits. It
// returns the number of bytes read; ok is false when no valid timestamp
// starts at b[0] (n then says where it went wrong).
func parseRFC3339(b []byte, loc *time.Location) (stamp, int, bool) {
	y, ok1 := digits(b, 0, 4)
	mo, ok2 := digits(b, 5, 2)
	d, ok3 := digits(b, 8, 2)
	if !ok1 || !ok2 || !ok3 || b[4] != '-' || b[7] != '-' || !validDate(y, mo, d) {
		return stamp{}, 0, false
	}
	if len(b) < 19 || (b[10] != 'T' && b[10] != 't') {
		return stamp{}, 10, false
	}
	h, ok1 := digits(b, 11, 2)
	mi, ok2 := digits(b, 14, 2)
	s, ok3 := digits(b, 17, 2)
	if !ok1 || !ok2 || !ok3 || b[13] != ':' || b[16] != ':' || !validClock(h, mi, s) {
		return stamp{}, 11, false
	}
	pos := 19
	ns, n := fraction(b, pos)
	pos += n
	st := stamp{}
	if pos < len(b) {
		switch c := b[pos]; c {
		case 'Z', 'z':
			st.hasZone, loc = true, time.UTC
			pos++
		case '+', '-':
			oh, ok1 := digits(b, pos+1, 2)
			var om int
			var ok2 bool
			var used int
			if pos+3 < len(b) && b[pos+3] == ':' {
				om, ok2 = digits(b, pos+4, 2)
				used = 6
			} else {
				om, ok2 = digits(b, pos+3, 2)
				used = 5
			}
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return stamp{}, pos, false
			}
			off := oh*3600 + om*60
			if c == '-' {
				off = -off
			}
			st.hasZone, loc = true, fixedZone(off)
			pos += used
		}
	}
	st.t = time.Date(y, time.Month(mo), d, h, mi, s, ns, loc)
	return st, pos, true
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// month reads a three-letter English month name, any case.
func month(b []byte, pos int) (int, bool) {
	if pos+3 > len(b) {
		return 0, false
	}
	var lc [3]byte
	for i := range lc {
		lc[i] = b[pos+i] | 0x20
	}
	for i, m := range months {
		if string(lc[:]) == m {
			return i + 1, true
		}
	}
	return 0, false
}

// clock reads "hh:mm:ss[.frac]" at pos.
func clock(b []byte, pos int) (h, mi, s, ns, n int, ok bool) {
	h, ok1 := digits(b, pos, 2)
	mi, ok2 := digits(b, pos+3, 2)
	s, ok3 := digits(b, pos+6, 2)
	if !ok1 || !ok2 || !ok3 || b[pos+2] != ':' || b[pos+5] != ':' || !validClock(h, mi, s) {
		return 0, 0, 0, 0, 0, false
	}
	ns, fn := fraction(b, pos+8)
	return h, mi, s, ns, 8 + fn, true
}

// bsdDay reads the day of an RFC 3164 date: "dd", " d" (space padded) or "d".
func bsdDay(b []byte, pos int) (int, int, bool) {
	if pos < len(b) && b[pos] == ' ' {
		pos++
		if d, ok := digits(b, pos, 1); ok && pos+1 < len(b) && b[pos+1] == ' ' {
			return d, 2, true
		}
		return 0, 0, false
	}
	if d, ok := digits(b, pos, 2); ok {
		return d, 2, true
	}
	if d, ok := digits(b, pos, 1); ok {
		return d, 1, true
	}
	return 0, 0, false
}

// maxFuture is how far ahead of the reference time a year-less timestamp
// may land. Within it the nearest year wins (a sender whose clock is ahead at
// new year); beyond it the timestamp is taken to be in the past, because a
// line stamped "Feb 5" received in November is an old, buffered one far more
// often than one from a clock three months fast.
const maxFuture = 31 * 24 * time.Hour

// nearestYear picks the year (now's, the one before or the one after) that
// puts month/day/clock nearest to now without going more than maxFuture
// ahead. Years where the date does not exist (29 February) are skipped, back
// to the last leap year.
func nearestYear(now time.Time, mo, d, h, mi, s, ns int, loc *time.Location) (time.Time, bool) {
	var best time.Time
	found := false
	var bestDist time.Duration
	for y := now.Year() + 1; y >= now.Year()-4 && !found; y-- {
		if !validDate(y, mo, d) {
			continue
		}
		t := time.Date(y, time.Month(mo), d, h, mi, s, ns, loc)
		dist := t.Sub(now)
		if dist > maxFuture {
			continue
		}
		if dist < 0 {
			dist = -dist
		}
		if !found || dist < bestDist {
			best, bestDist, found = t, dist, true
		}
	}
	return best, found
}

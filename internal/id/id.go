// Package id makes the opaque identifiers kubu hands out.
//
// New returns a time-ordered 128-bit id (48 bits of milliseconds, 80 random
// bits, counted up within a millisecond) so that records sort by creation
// in indexes; Random returns 128 random bits for ids that must not reveal
// anything, such as public report tracking ids and attachment ids. Both are 26 characters of lower-case
// Crockford base32.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// monotonic keeps ids made in the same millisecond in order: the next one
// is the previous one's random part plus one (as monotonic ULIDs do).
var monotonic struct {
	sync.Mutex
	ms uint64
	hi uint16 // top 16 of the 80 random bits
	lo uint64 // low 64 of the 80 random bits
}

// New returns a time-ordered id. Ids made by one process sort in the order
// they were made, even within a millisecond.
func New() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	m := &monotonic
	m.Lock()
	if ms > m.ms {
		var r [10]byte
		rand.Read(r[:])
		m.ms, m.hi, m.lo = ms, binary.BigEndian.Uint16(r[0:2]), binary.BigEndian.Uint64(r[2:10])
	} else { // same millisecond (or the clock stepped back): count on
		ms = m.ms
		m.lo++
		if m.lo == 0 {
			m.hi++
		}
	}
	hi, lo := m.hi, m.lo
	m.Unlock()
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	binary.BigEndian.PutUint16(b[6:8], hi)
	binary.BigEndian.PutUint64(b[8:16], lo)
	return encode(b)
}

// Random returns an id of 128 random bits.
func Random() string {
	var b [16]byte
	rand.Read(b[:])
	return encode(b)
}

// Valid reports whether s has the shape of an id (it may still name nothing).
func Valid(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u') {
			return false
		}
	}
	return true
}

func encode(b [16]byte) string {
	// 128 bits → 26 base32 digits (the first carries 3 bits).
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Floor returns the smallest time-ordered id New could make at t: every id
// made at t or later sorts at or above it, every id made before t below it.
// Lists use it to walk an index on id by creation time.
func Floor(t time.Time) string {
	var b [16]byte
	ms := uint64(max(t.UnixMilli(), 0))
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	return encode(b)
}

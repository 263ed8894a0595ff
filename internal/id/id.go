// Package id makes the opaque identifiers kubu hands out.
//
// New returns a time-ordered 128-bit id (48 bits of milliseconds, 80 random
// bits) so that records sort by creation in indexes; Random returns 128
// random bits for ids that must not reveal anything, such as public report
// tracking ids and attachment ids. Both are 26 characters of lower-case
// Crockford base32.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// New returns a time-ordered id.
func New() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	rand.Read(b[6:])
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

package evtx

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// BinXml value types ([MS-EVEN6] 2.2.18). An array of a type has the 0x80
// bit set.
const (
	typeNull     = 0x00
	typeString   = 0x01
	typeAnsi     = 0x02
	typeInt8     = 0x03
	typeUint8    = 0x04
	typeInt16    = 0x05
	typeUint16   = 0x06
	typeInt32    = 0x07
	typeUint32   = 0x08
	typeInt64    = 0x09
	typeUint64   = 0x0a
	typeReal32   = 0x0b
	typeReal64   = 0x0c
	typeBool     = 0x0d
	typeBinary   = 0x0e
	typeGUID     = 0x0f
	typeSizeT    = 0x10
	typeFiletime = 0x11
	typeSystime  = 0x12
	typeSID      = 0x13
	typeHex32    = 0x14
	typeHex64    = 0x15
	typeHandle   = 0x20
	typeBinXML   = 0x21
	typeEvtXML   = 0x23
	typeArray    = 0x80
)

// value is one substitution value: its type and raw bytes (a slice of the
// chunk, never copied).
type value struct {
	typ  uint8
	data []byte
}

// fixedSize returns the byte size of a fixed-size scalar type, or 0.
func fixedSize(t uint8) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHex32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFiletime, typeHex64:
		return 8
	case typeGUID, typeSystime:
		return 16
	}
	return 0
}

// empty reports whether the value counts as absent: an optional
// substitution with such a value is dropped, and it renders no text.
func (v value) empty() bool {
	switch v.typ {
	case typeNull:
		return true
	case typeString, typeEvtXML:
		return len(trimUTF16NUL(v.data)) == 0
	case typeAnsi:
		return len(trimNUL(v.data)) == 0
	case typeBinary, typeBinXML:
		return len(v.data) == 0
	}
	if v.typ&typeArray != 0 {
		if !v.expandable() {
			return len(v.data) == 0
		}
		_, _, ok := v.nextItem(0)
		return !ok
	}
	return false
}

// isNumber reports whether the value renders as a JSON number or boolean
// when it is the only content of an element or attribute.
func (v value) isNumber() bool {
	switch v.typ {
	case typeInt8, typeUint8, typeInt16, typeUint16, typeInt32, typeUint32,
		typeInt64, typeUint64, typeBool:
		return len(v.data) >= fixedSize(v.typ)
	}
	return false
}

// appendNumber appends a value for which isNumber is true as a JSON literal.
func appendNumber(dst []byte, v value) []byte {
	d := v.data
	le := binary.LittleEndian
	switch v.typ {
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(d[0])), 10)
	case typeUint8:
		return strconv.AppendUint(dst, uint64(d[0]), 10)
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(d))), 10)
	case typeUint16:
		return strconv.AppendUint(dst, uint64(le.Uint16(d)), 10)
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(d))), 10)
	case typeUint32:
		return strconv.AppendUint(dst, uint64(le.Uint32(d)), 10)
	case typeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(d)), 10)
	case typeUint64:
		return strconv.AppendUint(dst, le.Uint64(d), 10)
	case typeBool:
		if le.Uint32(d) != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	}
	return dst
}

// appendValueText appends the text of a value as the inside of a JSON
// string (escaped, no quotes).
func appendValueText(dst []byte, v value) []byte {
	d := v.data
	le := binary.LittleEndian
	if v.typ&typeArray != 0 {
		return appendArrayText(dst, v)
	}
	if n := fixedSize(v.typ); n > 0 && len(d) < n {
		return appendHex(dst, d) // too short for its type: show the bytes
	}
	switch v.typ {
	case typeNull, typeBinXML:
		return dst
	case typeString, typeEvtXML:
		return appendUTF16JSON(dst, trimUTF16Space(trimUTF16NUL(d)))
	case typeAnsi:
		return appendLatin1JSON(dst, bytes.TrimRight(trimNUL(d), " \t\r\n"))
	case typeInt8, typeUint8, typeInt16, typeUint16, typeInt32, typeUint32,
		typeInt64, typeUint64, typeBool:
		return appendNumber(dst, v)
	case typeReal32:
		return appendFloat(dst, float64(math.Float32frombits(le.Uint32(d))), 32)
	case typeReal64:
		return appendFloat(dst, math.Float64frombits(le.Uint64(d)), 64)
	case typeBinary:
		return appendHex(dst, d)
	case typeGUID:
		return appendGUID(dst, d)
	case typeSizeT:
		switch len(d) {
		case 4:
			return appendHexInt(dst, uint64(le.Uint32(d)))
		case 8:
			return appendHexInt(dst, le.Uint64(d))
		}
		return appendHex(dst, d)
	case typeFiletime:
		return appendFiletime(dst, le.Uint64(d))
	case typeSystime:
		return appendSystime(dst, d)
	case typeSID:
		return appendSID(dst, d)
	case typeHex32:
		return appendHexInt(dst, uint64(le.Uint32(d)))
	case typeHex64:
		return appendHexInt(dst, le.Uint64(d))
	case typeHandle:
		switch len(d) {
		case 4:
			return strconv.AppendUint(dst, uint64(le.Uint32(d)), 10)
		case 8:
			return strconv.AppendUint(dst, le.Uint64(d), 10)
		}
		return appendHex(dst, d)
	}
	return appendHex(dst, d) // unknown type: show the bytes
}

// appendArrayText renders an array value as its items joined by commas.
func appendArrayText(dst []byte, v value) []byte {
	if !v.expandable() {
		return appendHex(dst, v.data)
	}
	off := 0
	for i := 0; ; i++ {
		item, next, ok := v.nextItem(off)
		if !ok {
			return dst
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValueText(dst, item)
		off = next
	}
}

// expandable reports whether v is an array whose items can be split out.
func (v value) expandable() bool {
	if v.typ&typeArray == 0 {
		return false
	}
	switch base := v.typ &^ typeArray; base {
	case typeString, typeAnsi, typeSID, typeSizeT:
		return true
	default:
		return fixedSize(base) > 0
	}
}

// nextItem returns the array item starting at byte offset off and the offset
// of the next one. String items are NUL-terminated; a final terminator does
// not start an empty item.
func (v value) nextItem(off int) (item value, next int, ok bool) {
	d := v.data
	if off >= len(d) {
		return value{}, off, false
	}
	base := v.typ &^ typeArray
	switch base {
	case typeString:
		end := len(d) &^ 1
		if off+1 >= end {
			return value{}, off, false
		}
		for i := off; i < end; i += 2 {
			if d[i] == 0 && d[i+1] == 0 {
				return value{typ: base, data: d[off:i]}, i + 2, true
			}
		}
		return value{typ: base, data: d[off:end]}, end, true
	case typeAnsi:
		for i := off; i < len(d); i++ {
			if d[i] == 0 {
				return value{typ: base, data: d[off:i]}, i + 1, true
			}
		}
		return value{typ: base, data: d[off:]}, len(d), true
	case typeSID:
		if off+8 > len(d) {
			return value{}, off, false
		}
		n := min(off+8+4*int(d[off+1]), len(d))
		return value{typ: base, data: d[off:n]}, n, true
	case typeSizeT:
		size := 8
		if len(d)%8 != 0 {
			size = 4
		}
		if off+size > len(d) {
			return value{}, off, false
		}
		return value{typ: base, data: d[off : off+size]}, off + size, true
	}
	size := fixedSize(base)
	if size == 0 || off+size > len(d) {
		return value{}, off, false
	}
	return value{typ: base, data: d[off : off+size]}, off + size, true
}

// arrayLen returns how many items an expandable array holds.
func (v value) arrayLen() int {
	if !v.expandable() {
		return 0
	}
	n, off := 0, 0
	for {
		_, next, ok := v.nextItem(off)
		if !ok {
			return n
		}
		n++
		off = next
	}
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&0xf])
	}
	return dst
}

func appendHexInt(dst []byte, x uint64) []byte {
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, x, 16)
}

// appendGUID renders 16 bytes as XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX with
// the first three groups little-endian.
func appendGUID(dst, b []byte) []byte {
	order := [16]uint8{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	for i, j := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		c := b[j]
		dst = append(dst, hexUpper[c>>4], hexUpper[c&0xf])
	}
	return dst
}

// appendSID renders a binary NT security identifier as S-R-A-S1-…-Sn.
func appendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return append(dst, "S-?"...)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = strconv.AppendUint(dst, auth, 10)
	subs := b[8:]
	for i := 0; i < int(b[1]) && 4*i+4 <= len(subs); i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(subs[4*i:])), 10)
	}
	return dst
}

// filetimeEpochDelta is the number of seconds from 1601-01-01 to 1970-01-01.
const filetimeEpochDelta = 11644473600

// filetimeToTime converts a FILETIME (100 ns ticks since 1601) to UTC.
func filetimeToTime(ft uint64) time.Time {
	sec := int64(ft/10_000_000) - filetimeEpochDelta
	return time.Unix(sec, int64(ft%10_000_000)*100).UTC()
}

// appendFiletime renders a FILETIME as 2006-01-02T15:04:05.000000Z
// (microseconds, truncated).
func appendFiletime(dst []byte, ft uint64) []byte {
	t := filetimeToTime(ft)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return appendDateTime(dst, y, int(mo), d, h, mi, s, t.Nanosecond()/1000)
}

// appendSystime renders a SYSTEMTIME (year, month, weekday, day, hour,
// minute, second, milliseconds) like appendFiletime.
func appendSystime(dst, b []byte) []byte {
	le := binary.LittleEndian
	f := func(i int) int { return int(le.Uint16(b[2*i:])) }
	return appendDateTime(dst, f(0), f(1), f(3), f(4), f(5), f(6), f(7)*1000)
}

func appendDateTime(dst []byte, y, mo, d, h, mi, s, us int) []byte {
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, mo, 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, s, 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, us, 6)
	return append(dst, 'Z')
}

// appendPadded appends a non-negative x with at least width digits.
func appendPadded(dst []byte, x, width int) []byte {
	if x < 0 {
		dst = append(dst, '-')
		x = -x
	}
	var buf [20]byte
	i := len(buf)
	for x > 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + x%10)
		x /= 10
	}
	return append(dst, buf[i:]...)
}

// appendFloat renders a float the way Rust's shortest round-trip formatting
// does: plain decimals (with ".0" for integers) for moderate exponents,
// otherwise d.ddde±x.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bits) // -d.ddde±xx
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	var dbuf [32]byte
	digits := dbuf[:0]
	exp := 0
	for i, c := range e {
		if c == 'e' {
			neg := e[i+1] == '-'
			for _, x := range e[i+2:] {
				exp = exp*10 + int(x-'0')
			}
			if neg {
				exp = -exp
			}
			break
		}
		if c != '.' {
			digits = append(digits, c)
		}
	}
	n := len(digits)
	kk := exp + 1 // position of the decimal point after the first kk digits
	switch {
	case kk >= n && kk <= 16:
		dst = append(dst, digits...)
		for i := n; i < kk; i++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	case kk > 0 && kk <= 16:
		dst = append(dst, digits[:kk]...)
		dst = append(dst, '.')
		return append(dst, digits[kk:]...)
	case kk > -5 && kk <= 0:
		dst = append(dst, '0', '.')
		for i := kk; i < 0; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[0])
	if n > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, int64(kk-1), 10)
}

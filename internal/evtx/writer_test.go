package evtx

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"time"
	"unicode/utf16"
)

// This file is a tiny EVTX writer for tests: it lays out a file header,
// chunks with correct checksums, records, and BinXml with inline name and
// template definitions, so tests can build exactly the input they need.

var le = binary.LittleEndian

// chunkWriter builds one chunk. BinXml is written straight into the chunk
// buffer so that name and template offsets are real chunk offsets.
type chunkWriter struct {
	buf       []byte
	names     map[string]uint32
	templates map[string]uint32
	first     uint64 // first record identifier
	last      uint64
	lastOff   int
	count     int
}

func newChunk() *chunkWriter {
	return &chunkWriter{
		buf:       make([]byte, chunkHeaderSize),
		names:     map[string]uint32{},
		templates: map[string]uint32{},
	}
}

func (w *chunkWriter) pos() int { return len(w.buf) }

func (w *chunkWriter) u8(v byte)    { w.buf = append(w.buf, v) }
func (w *chunkWriter) u16(v uint16) { w.buf = le.AppendUint16(w.buf, v) }
func (w *chunkWriter) u32(v uint32) { w.buf = le.AppendUint32(w.buf, v) }
func (w *chunkWriter) u64(v uint64) { w.buf = le.AppendUint64(w.buf, v) }

// record writes a record with the given identifier and write time; body
// writes its BinXml.
func (w *chunkWriter) record(id uint64, t time.Time, body func()) {
	start := w.pos()
	w.buf = append(w.buf, 0x2a, 0x2a, 0, 0)
	w.u32(0) // size, patched below
	w.u64(id)
	w.u64(timeToFiletime(t))
	body()
	w.u32(0) // size copy
	size := uint32(w.pos() - start)
	le.PutUint32(w.buf[start+4:], size)
	le.PutUint32(w.buf[w.pos()-4:], size)
	if w.count == 0 {
		w.first = id
	}
	w.last = id
	w.lastOff = start
	w.count++
}

// name writes a 4-byte name offset, defining the name inline the first
// time it is used in the chunk.
func (w *chunkWriter) name(s string) {
	if off, ok := w.names[s]; ok {
		w.u32(off)
		return
	}
	off := uint32(w.pos() + 4)
	w.names[s] = off
	w.u32(off)
	u := utf16.Encode([]rune(s))
	w.u32(0)      // next name offset
	w.u16(0x1234) // hash (not checked by readers)
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
	w.u16(0)
}

func (w *chunkWriter) fragment() { w.buf = append(w.buf, tokFragment, 1, 1, 0) }
func (w *chunkWriter) eof()      { w.u8(tokEOF) }

// open writes an open-start-element token. dep writes the dependency
// identifier (absent in BinXml substitution values).
func (w *chunkWriter) open(name string, attrs, dep bool) {
	tok := byte(tokOpenStart)
	if attrs {
		tok |= tokMoreFlag
	}
	w.u8(tok)
	if dep {
		w.u16(0xffff)
	}
	w.u32(0) // data size: readers do not need it
	w.name(name)
	if attrs {
		w.u32(0) // attribute list size
	}
}

// attr writes an attribute token; more says another attribute follows.
func (w *chunkWriter) attr(name string, more bool) {
	tok := byte(tokAttr)
	if more {
		tok |= tokMoreFlag
	}
	w.u8(tok)
	w.name(name)
}

func (w *chunkWriter) closeStart() { w.u8(tokCloseStart) }
func (w *chunkWriter) closeEmpty() { w.u8(tokCloseEmpty) }
func (w *chunkWriter) end()        { w.u8(tokEnd) }

// text writes a value-text token holding s.
func (w *chunkWriter) text(s string) {
	w.u8(tokValue)
	w.u8(typeString)
	u := utf16.Encode([]rune(s))
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

func (w *chunkWriter) cdata(s string) {
	w.u8(tokCDATA)
	u := utf16.Encode([]rune(s))
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

func (w *chunkWriter) charRef(c uint16) { w.u8(tokCharRef); w.u16(c) }
func (w *chunkWriter) entity(name string) {
	w.u8(tokEntityRef)
	w.name(name)
}

func (w *chunkWriter) pi(target, data string) {
	w.u8(tokPITarget)
	w.name(target)
	w.u8(tokPIData)
	u := utf16.Encode([]rune(data))
	w.u16(uint16(len(u)))
	for _, c := range u {
		w.u16(c)
	}
}

func (w *chunkWriter) subst(id uint16, typ byte, optional bool) {
	tok := byte(tokNormalSubst)
	if optional {
		tok = tokOptSubst
	}
	w.u8(tok)
	w.u16(id)
	w.u8(typ)
}

// leaf writes <name>%id</name> with a normal substitution.
func (w *chunkWriter) leaf(name string, id uint16, typ byte) {
	w.open(name, false, true)
	w.closeStart()
	w.subst(id, typ, false)
	w.end()
}

// template writes a template instance. The first use of key in the chunk
// defines the template inline (def writes its element tokens); later uses
// refer to the definition by offset.
func (w *chunkWriter) template(key string, def func(), vals ...value) {
	w.u8(tokTemplate)
	w.u8(1)
	w.u32(0x5a5a5a5a) // template identifier
	if off, ok := w.templates[key]; ok {
		w.u32(off)
	} else {
		off := uint32(w.pos() + 4)
		w.templates[key] = off
		w.u32(off)
		w.u32(0) // next template definition
		for i := range 16 {
			w.u8(byte(i + len(key)))
		}
		sizeAt := w.pos()
		w.u32(0)
		start := w.pos()
		w.fragment()
		def()
		w.eof()
		le.PutUint32(w.buf[sizeAt:], uint32(w.pos()-start))
	}
	w.values(vals)
}

// values writes template instance data: count, descriptors, data.
func (w *chunkWriter) values(vals []value) {
	w.u32(uint32(len(vals)))
	for _, v := range vals {
		w.u16(uint16(len(v.data)))
		w.u8(v.typ)
		w.u8(0)
	}
	for _, v := range vals {
		w.buf = append(w.buf, v.data...)
	}
}

// bytes finishes the chunk: pads it to 64 KiB and fills in the header and
// both checksums.
func (w *chunkWriter) bytes() []byte {
	free := w.pos()
	c := make([]byte, chunkSize)
	copy(c, w.buf)
	copy(c, chunkSignature[:])
	le.PutUint64(c[8:], w.first)
	le.PutUint64(c[16:], w.last)
	le.PutUint64(c[24:], w.first)
	le.PutUint64(c[32:], w.last)
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], uint32(w.lastOff))
	le.PutUint32(c[48:], uint32(free))
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	le.PutUint32(c[124:], chunkHeaderChecksum(c))
	return c
}

// fixChunkCRCs recomputes both checksums of a chunk after a test edits it.
func fixChunkCRCs(c []byte) {
	free := le.Uint32(c[48:])
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	le.PutUint32(c[124:], chunkHeaderChecksum(c))
}

// buildFile lays out a file header followed by the chunks.
func buildFile(chunks ...[]byte) []byte {
	f := make([]byte, fileHeaderSize)
	copy(f, fileSignature[:])
	le.PutUint64(f[8:], 0)
	le.PutUint64(f[16:], uint64(max(len(chunks)-1, 0)))
	le.PutUint32(f[32:], 128)
	le.PutUint16(f[36:], 1)
	le.PutUint16(f[38:], 3)
	le.PutUint16(f[40:], fileHeaderSize)
	le.PutUint16(f[42:], uint16(len(chunks)))
	fixFileCRC(f)
	for _, c := range chunks {
		f = append(f, c...)
	}
	return f
}

func fixFileCRC(f []byte) { le.PutUint32(f[124:], crc32.ChecksumIEEE(f[:120])) }

func timeToFiletime(t time.Time) uint64 {
	return uint64(t.Unix()+filetimeEpochDelta)*10_000_000 + uint64(t.Nanosecond()/100)
}

// Value constructors for template instance data.

func vNull() value { return value{typ: typeNull} }

func vStr(s string) value {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = le.AppendUint16(b, c)
	}
	return value{typ: typeString, data: b}
}

func vStrZ(s string) value { v := vStr(s + "\x00"); return v }

func vAnsi(s string) value    { return value{typ: typeAnsi, data: []byte(s)} }
func vI8(x int8) value        { return value{typ: typeInt8, data: []byte{byte(x)}} }
func vU8(x uint8) value       { return value{typ: typeUint8, data: []byte{x}} }
func vI16(x int16) value      { return value{typ: typeInt16, data: le.AppendUint16(nil, uint16(x))} }
func vU16(x uint16) value     { return value{typ: typeUint16, data: le.AppendUint16(nil, x)} }
func vI32(x int32) value      { return value{typ: typeInt32, data: le.AppendUint32(nil, uint32(x))} }
func vU32(x uint32) value     { return value{typ: typeUint32, data: le.AppendUint32(nil, x)} }
func vI64(x int64) value      { return value{typ: typeInt64, data: le.AppendUint64(nil, uint64(x))} }
func vU64(x uint64) value     { return value{typ: typeUint64, data: le.AppendUint64(nil, x)} }
func vHex32(x uint32) value   { return value{typ: typeHex32, data: le.AppendUint32(nil, x)} }
func vHex64(x uint64) value   { return value{typ: typeHex64, data: le.AppendUint64(nil, x)} }
func vBool(x uint32) value    { return value{typ: typeBool, data: le.AppendUint32(nil, x)} }
func vBinary(b ...byte) value { return value{typ: typeBinary, data: b} }

func vR32(f float32) value {
	return value{typ: typeReal32, data: le.AppendUint32(nil, math.Float32bits(f))}
}

func vR64(f float64) value {
	return value{typ: typeReal64, data: le.AppendUint64(nil, math.Float64bits(f))}
}

func vFiletime(t time.Time) value {
	return value{typ: typeFiletime, data: le.AppendUint64(nil, timeToFiletime(t))}
}

func vSystime(t time.Time) value {
	var b []byte
	for _, x := range []int{t.Year(), int(t.Month()), int(t.Weekday()), t.Day(), t.Hour(),
		t.Minute(), t.Second(), t.Nanosecond() / 1e6} {
		b = le.AppendUint16(b, uint16(x))
	}
	return value{typ: typeSystime, data: b}
}

// vGUID encodes a GUID given as its canonical text form's 16 bytes in
// display order (first three groups are stored little-endian).
func vGUID(d1 uint32, d2, d3 uint16, d4 [8]byte) value {
	b := le.AppendUint32(nil, d1)
	b = le.AppendUint16(b, d2)
	b = le.AppendUint16(b, d3)
	return value{typ: typeGUID, data: append(b, d4[:]...)}
}

// vSID encodes S-1-<auth>-<subs…>.
func vSID(auth uint64, subs ...uint32) value {
	b := []byte{1, byte(len(subs))}
	for i := 5; i >= 0; i-- {
		b = append(b, byte(auth>>(8*i)))
	}
	for _, s := range subs {
		b = le.AppendUint32(b, s)
	}
	return value{typ: typeSID, data: b}
}

// vArray joins item values into an array value of type typ|0x80.
func vArray(typ byte, items ...value) value {
	var b []byte
	for _, it := range items {
		b = append(b, it.data...)
	}
	return value{typ: typ | typeArray, data: b}
}

// vStrArray is a string array: NUL-terminated UTF-16 strings.
func vStrArray(items ...string) value {
	var b []byte
	for _, s := range items {
		b = append(b, vStrZ(s).data...)
	}
	return value{typ: typeString | typeArray, data: b}
}

// templateGen is template with values whose data gen writes in place: gens
// maps a value index to a function writing that value's bytes at their
// final chunk offset (needed for BinXml values, whose inline names must
// sit at real offsets). The descriptor sizes are patched afterwards.
func (w *chunkWriter) templateGen(key string, def func(), vals []value, gens map[int]func()) {
	w.u8(tokTemplate)
	w.u8(1)
	w.u32(0x5a5a5a5a)
	if off, ok := w.templates[key]; ok {
		w.u32(off)
	} else {
		off := uint32(w.pos() + 4)
		w.templates[key] = off
		w.u32(off)
		w.u32(0)
		for range 16 {
			w.u8(0xab)
		}
		sizeAt := w.pos()
		w.u32(0)
		start := w.pos()
		w.fragment()
		def()
		w.eof()
		le.PutUint32(w.buf[sizeAt:], uint32(w.pos()-start))
	}
	w.u32(uint32(len(vals)))
	descAt := w.pos()
	for _, v := range vals {
		w.u16(uint16(len(v.data)))
		w.u8(v.typ)
		w.u8(0)
	}
	for i, v := range vals {
		if gen, ok := gens[i]; ok {
			start := w.pos()
			gen()
			le.PutUint16(w.buf[descAt+4*i:], uint16(w.pos()-start))
			continue
		}
		w.buf = append(w.buf, v.data...)
	}
}

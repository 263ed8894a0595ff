package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BinXml tokens ([MS-EVEN6] 2.2.12). Tokens 0x01 and 0x05-0x09 may carry the
// 0x40 "more data" flag; for 0x01 it means an attribute list follows.
const (
	tokEOF         = 0x00
	tokOpenStart   = 0x01
	tokCloseStart  = 0x02
	tokCloseEmpty  = 0x03
	tokEnd         = 0x04
	tokValue       = 0x05
	tokAttr        = 0x06
	tokCDATA       = 0x07
	tokCharRef     = 0x08
	tokEntityRef   = 0x09
	tokPITarget    = 0x0a
	tokPIData      = 0x0b
	tokTemplate    = 0x0c
	tokNormalSubst = 0x0d
	tokOptSubst    = 0x0e
	tokFragment    = 0x0f
	tokMoreFlag    = 0x40
)

// opKind is one step of a decoded BinXml stream.
type opKind uint8

const (
	opOpen       opKind = iota // element start: name
	opAttr                     // attribute: name; value ops follow
	opCloseStart               // '>' of a start tag
	opCloseEmpty               // '/>'
	opEnd                      // end tag
	opText                     // UTF-16 text: data
	opCDATA                    // UTF-16 CDATA text: data
	opValue                    // typed inline value: val
	opCharRef                  // &#id;
	opEntity                   // &name;
	opPITarget                 // <?name
	opPIData                   // PI data: data
	opSubst                    // substitution: id, val.typ, optional
	opTemplate                 // template instance: tmpl, vals
)

// op is a decoded token. Streams are decoded once into ops; templates keep
// theirs for the life of the chunk.
type op struct {
	kind     opKind
	optional bool
	id       uint16
	name     string
	val      value
	tmpl     *template
	vals     []value
}

// template is a template definition decoded from its chunk.
type template struct {
	ops []op
	err error
}

// Limits that keep hostile input from costing unbounded time or memory.
const (
	maxNestedBinXML = 8       // nested BinXml values within one record
	maxElementDepth = 256     // open elements at once
	maxNodes        = 1 << 16 // tree nodes per record
	maxValues       = 1 << 14 // substitution values per template instance
	maxValueBytes   = 1 << 20 // value bytes placed in one record's tree
	maxWork         = 1 << 22 // ops run plus BinXml bytes decoded per record
	maxExpandBytes  = 1 << 22 // bytes repeated by array expansion per document
)

var errTruncated = errors.New("BinXml truncated")

// chunk is the state shared by every record of one chunk: its bytes and the
// caches of names and templates (keyed by chunk offset; never shared across
// chunks).
type chunk struct {
	b         []byte
	names     map[uint32]string
	templates map[uint32]*template
	ops       []op        // backing store of the templates' ops
	spare     []*template // template structs reused from chunk to chunk
	used      int         // how many of spare this chunk has handed out

	// intern maps raw UTF-16 names to decoded ones. Unlike the caches
	// above it lives across chunks, since names repeat everywhere; it only
	// saves allocations and is emptied when it grows large.
	intern map[string]string
}

const maxInterned = 4096

func (c *chunk) reset(b []byte) {
	c.b = b
	if c.names == nil {
		c.names = make(map[uint32]string, 256)
		c.templates = make(map[uint32]*template, 64)
	}
	clear(c.names)
	clear(c.templates)
	clear(c.ops) // drop references into the previous chunk
	c.ops = c.ops[:0]
	c.used = 0
	if c.intern == nil || len(c.intern) > maxInterned {
		c.intern = make(map[string]string, 256)
	}
}

// newTemplate hands out a cleared template struct.
func (c *chunk) newTemplate() *template {
	if c.used == len(c.spare) {
		c.spare = append(c.spare, &template{})
	}
	t := c.spare[c.used]
	c.used++
	*t = template{}
	return t
}

func (c *chunk) u16(off int) uint16 { return binary.LittleEndian.Uint16(c.b[off:]) }
func (c *chunk) u32(off int) uint32 { return binary.LittleEndian.Uint32(c.b[off:]) }

// nameSize returns the byte size of the name structure at off (next offset,
// hash, character count, characters, NUL), or -1 if it does not fit.
func (c *chunk) nameSize(off int) int {
	if off < 0 || off+8 > len(c.b) {
		return -1
	}
	n := 8 + 2*int(c.u16(off+6)) + 2
	if off+n > len(c.b) {
		return -1
	}
	return n
}

// name returns the (cached) name stored at chunk offset off.
func (c *chunk) name(off uint32) (string, error) {
	if s, ok := c.names[off]; ok {
		return s, nil
	}
	size := c.nameSize(int(off))
	if size < 0 {
		return "", fmt.Errorf("name at chunk offset %#x out of range", off)
	}
	raw := c.b[int(off)+8 : int(off)+size-2]
	s, ok := c.intern[string(raw)]
	if !ok {
		s = utf16String(raw)
		c.intern[string(raw)] = s
	}
	c.names[off] = s
	return s, nil
}

// template returns the (cached) template defined at chunk offset off: next
// definition offset (4), GUID (16), data size (4), then the BinXml fragment.
func (c *chunk) template(off uint32) (*template, int, error) {
	o := int(off)
	if o < chunkHeaderSize || o+24 > len(c.b) {
		return nil, 0, fmt.Errorf("template definition at chunk offset %#x out of range", off)
	}
	size := int(c.u32(o + 20))
	if size > len(c.b)-o-24 {
		return nil, 0, fmt.Errorf("template at chunk offset %#x: size %d out of range", off, size)
	}
	t, ok := c.templates[off]
	if !ok {
		// Templates are decoded one at a time (a definition cannot hold a
		// template instance), so they share one growing slice of ops.
		t = c.newTemplate()
		start := len(c.ops)
		p := parser{c: c, ops: c.ops}
		if _, err := p.parse(o+24, o+24+size, true, false); err != nil {
			t.err = fmt.Errorf("template at chunk offset %#x: %w", off, err)
		}
		c.ops = p.ops
		t.ops = c.ops[start:len(c.ops):len(c.ops)]
		c.templates[off] = t
	}
	return t, size, t.err
}

// parser decodes BinXml token streams into ops. ops and vals are reused
// across records.
type parser struct {
	c    *chunk
	ops  []op
	vals []value
}

// parse decodes tokens from pos up to an EOF token or end, appending ops.
// inTemplate forbids template instances (a template definition holds only
// elements and substitutions). noDep says element starts carry no dependency
// identifier, as inside a BinXml substitution value. It returns the position
// after the last token read.
func (p *parser) parse(pos, end int, inTemplate, noDep bool) (int, error) {
	c := p.c
	if end > len(c.b) {
		end = len(c.b)
	}
	for pos < end {
		tok := c.b[pos]
		switch tok &^ tokMoreFlag {
		case tokEOF:
			return pos + 1, nil
		case tokFragment:
			pos += 4
		case tokOpenStart:
			next, name, err := p.elementStart(pos, end, tok&tokMoreFlag != 0, noDep)
			if err != nil {
				return pos, err
			}
			p.ops = append(p.ops, op{kind: opOpen, name: name})
			pos = next
		case tokAttr:
			next, name, err := p.nameRef(pos+1, end)
			if err != nil {
				return pos, fmt.Errorf("attribute at %#x: %w", pos, err)
			}
			p.ops = append(p.ops, op{kind: opAttr, name: name})
			pos = next
		case tokCloseStart:
			p.ops = append(p.ops, op{kind: opCloseStart})
			pos++
		case tokCloseEmpty:
			p.ops = append(p.ops, op{kind: opCloseEmpty})
			pos++
		case tokEnd:
			p.ops = append(p.ops, op{kind: opEnd})
			pos++
		case tokValue:
			next, err := p.valueToken(pos, end)
			if err != nil {
				return pos, err
			}
			pos = next
		case tokCDATA, tokPIData:
			if pos+3 > end {
				return pos, errTruncated
			}
			n := 2 * int(c.u16(pos+1))
			if pos+3+n > end {
				return pos, errTruncated
			}
			k := opCDATA
			if tok == tokPIData {
				k = opPIData
			}
			p.ops = append(p.ops, op{kind: k, val: value{typ: typeString, data: c.b[pos+3 : pos+3+n]}})
			pos += 3 + n
		case tokCharRef:
			if pos+3 > end {
				return pos, errTruncated
			}
			p.ops = append(p.ops, op{kind: opCharRef, id: c.u16(pos + 1)})
			pos += 3
		case tokEntityRef, tokPITarget:
			next, name, err := p.nameRef(pos+1, end)
			if err != nil {
				return pos, fmt.Errorf("reference at %#x: %w", pos, err)
			}
			k := opEntity
			if tok == tokPITarget {
				k = opPITarget
			}
			p.ops = append(p.ops, op{kind: k, name: name})
			pos = next
		case tokNormalSubst, tokOptSubst:
			if pos+4 > end {
				return pos, errTruncated
			}
			p.ops = append(p.ops, op{kind: opSubst, id: c.u16(pos + 1),
				val: value{typ: c.b[pos+3]}, optional: tok == tokOptSubst})
			pos += 4
		case tokTemplate:
			if inTemplate {
				return pos, fmt.Errorf("template instance inside a template definition at %#x", pos)
			}
			next, err := p.templateInstance(pos, end)
			if err != nil {
				return pos, err
			}
			pos = next
		default:
			return pos, fmt.Errorf("unknown BinXml token %#02x at %#x", tok, pos)
		}
	}
	if pos > end {
		return pos, errTruncated
	}
	return pos, nil
}

// nameRef reads a 4-byte name offset at pos; when the name is stored inline
// (the offset points just past the field) it is skipped over.
func (p *parser) nameRef(pos, end int) (int, string, error) {
	if pos+4 > end {
		return pos, "", errTruncated
	}
	off := p.c.u32(pos)
	pos += 4
	if int(off) == pos {
		size := p.c.nameSize(pos)
		if size < 0 || pos+size > end {
			return pos, "", errTruncated
		}
		pos += size
	} else if int(off) > pos {
		return pos, "", fmt.Errorf("name offset %#x points ahead of %#x", off, pos)
	}
	name, err := p.c.name(off)
	return pos, name, err
}

// plausibleName reports whether a name offset read at a field ending at
// after can be right: inline (== after) or earlier in the chunk, and whole.
func (p *parser) plausibleName(off uint32, after, end int) bool {
	o := int(off)
	if o > after || o < chunkHeaderSize {
		return false
	}
	size := p.c.nameSize(o)
	if size < 0 {
		return false
	}
	return o < after || o+size <= end
}

// elementStart decodes an open-start-element token: [dependency id (2)],
// data size (4), name offset (4) [+ inline name], [attribute list size (4)].
// The dependency id is absent inside BinXml substitution values; when the
// expected layout gives an impossible name offset the other one is tried.
func (p *parser) elementStart(pos, end int, hasAttrs, noDep bool) (int, string, error) {
	layouts := [2]bool{!noDep, noDep}
	for _, dep := range layouts {
		q := pos + 1
		if dep {
			q += 2
		}
		if q+8 > end {
			continue
		}
		if !p.plausibleName(p.c.u32(q+4), q+8, end) {
			continue
		}
		next, name, err := p.nameRef(q+4, end)
		if err != nil {
			return pos, "", fmt.Errorf("element at %#x: %w", pos, err)
		}
		if hasAttrs {
			next += 4
			if next > end {
				return pos, "", errTruncated
			}
		}
		return next, name, nil
	}
	return pos, "", fmt.Errorf("element at %#x: bad name offset", pos)
}

// valueToken decodes a value token: type (1) then, for strings, a character
// count (2) and UTF-16 text; other types are stored at their fixed size.
func (p *parser) valueToken(pos, end int) (int, error) {
	if pos+2 > end {
		return pos, errTruncated
	}
	c := p.c
	t := c.b[pos+1]
	switch {
	case t == typeString:
		if pos+4 > end {
			return pos, errTruncated
		}
		n := 2 * int(c.u16(pos+2))
		if pos+4+n > end {
			return pos, errTruncated
		}
		p.ops = append(p.ops, op{kind: opText, val: value{typ: typeString, data: c.b[pos+4 : pos+4+n]}})
		return pos + 4 + n, nil
	case fixedSize(t) > 0:
		n := fixedSize(t)
		if pos+2+n > end {
			return pos, errTruncated
		}
		p.ops = append(p.ops, op{kind: opValue, val: value{typ: t, data: c.b[pos+2 : pos+2+n]}})
		return pos + 2 + n, nil
	}
	return pos, fmt.Errorf("value token of type %#02x at %#x", t, pos)
}

// templateInstance decodes a template instance: unknown (1), template id
// (4), definition offset (4), the definition itself when stored inline, then
// the value count (4), descriptors (size 2, type 1, pad 1) and value data.
func (p *parser) templateInstance(pos, end int) (int, error) {
	c := p.c
	if pos+10 > end {
		return pos, errTruncated
	}
	defOff := c.u32(pos + 6)
	q := pos + 10
	t, size, err := c.template(defOff)
	if err != nil {
		return pos, err
	}
	if int(defOff) == q {
		q += 24 + size
	}
	if q+4 > end {
		return pos, errTruncated
	}
	n := int(c.u32(q))
	q += 4
	if n > maxValues || q+4*n > end {
		return pos, fmt.Errorf("template instance at %#x: %d values do not fit", pos, n)
	}
	data := q + 4*n
	start := len(p.vals)
	for i := range n {
		d := q + 4*i
		size := int(c.u16(d))
		if data+size > end {
			p.vals = p.vals[:start]
			return pos, fmt.Errorf("template instance at %#x: value %d does not fit", pos, i)
		}
		p.vals = append(p.vals, value{typ: c.b[d+2], data: c.b[data : data+size]})
		data += size
	}
	p.ops = append(p.ops, op{kind: opTemplate, tmpl: t, vals: p.vals[start:len(p.vals):len(p.vals)]})
	return data, nil
}

// offsetOf returns the chunk offset of s, a two-index sub-slice of the
// chunk bytes (so its capacity runs to the end of the chunk buffer), or -1.
func (c *chunk) offsetOf(s []byte) int {
	off := cap(c.b) - cap(s)
	if len(s) == 0 || off < 0 || off+len(s) > len(c.b) || &c.b[off] != &s[0] {
		return -1
	}
	return off
}

package evtx

import (
	"errors"
	"fmt"
)

// nodeKind is the kind of a node in a record's tree.
type nodeKind uint8

const (
	nElem    nodeKind = iota // element: name, attrs, children
	nAttr                    // attribute: name, value nodes as children
	nText                    // UTF-16 text (value token or CDATA): val
	nValue                   // typed substitution or inline value: val
	nCharRef                 // character reference: charRef
	nEntity                  // entity reference: name
	nPI                      // processing instruction (kept, not rendered)
)

// node is one node of a record tree. Children and attributes are linked
// lists of indexes into the builder's node slice (-1 ends a list).
type node struct {
	kind      nodeKind
	elemChild bool // element has at least one element child
	charRef   uint16
	name      string
	val       value
	first     int32 // first child (element content or attribute value)
	last      int32
	next      int32 // next sibling
	attrs     int32 // first attribute (elements)
	lastAttr  int32
}

// builder turns ops into a record tree. Node 0 is the document node; its
// first element child is the root element. Slices are reused per record.
type builder struct {
	p      *parser
	nodes  []node
	stack  []int32
	attr   int32 // attribute receiving values, or -1
	nested int   // depth of BinXml substitution values being expanded
	work   int   // ops run and nested bytes decoded (see maxWork)
	bytes  int   // value bytes placed in the tree (see maxValueBytes)
}

var (
	errTooManyNodes = errors.New("record expands to too many nodes")
	errTooMuchWork  = errors.New("record takes too much work to expand")
	errTooMuchData  = errors.New("record expands to too much data")
)

func (b *builder) reset() {
	b.nodes = append(b.nodes[:0], node{kind: nElem, first: -1, last: -1, next: -1, attrs: -1, lastAttr: -1})
	b.stack = b.stack[:0]
	b.attr = -1
	b.nested = 0
	b.work = 0
	b.bytes = 0
}

func (b *builder) add(n node) (int32, error) {
	if len(b.nodes) >= maxNodes {
		return 0, errTooManyNodes
	}
	if b.bytes += len(n.val.data); b.bytes > maxValueBytes {
		return 0, errTooMuchData
	}
	n.first, n.last, n.next, n.attrs, n.lastAttr = -1, -1, -1, -1, -1
	b.nodes = append(b.nodes, n)
	return int32(len(b.nodes) - 1), nil
}

// link appends child to parent's children (or attribute list when attr).
func (b *builder) link(parent, child int32, attr bool) {
	p := &b.nodes[parent]
	if attr {
		if p.lastAttr < 0 {
			p.attrs = child
		} else {
			b.nodes[p.lastAttr].next = child
		}
		p.lastAttr = child
		return
	}
	if p.last < 0 {
		p.first = child
	} else {
		b.nodes[p.last].next = child
	}
	p.last = child
}

// top returns the innermost open element (the document node when none).
func (b *builder) top() int32 {
	if len(b.stack) == 0 {
		return 0
	}
	return b.stack[len(b.stack)-1]
}

// content adds a text-like node to the current attribute or element.
func (b *builder) content(n node) error {
	idx, err := b.add(n)
	if err != nil {
		return err
	}
	if b.attr >= 0 {
		b.link(b.attr, idx, false)
	} else {
		b.link(b.top(), idx, false)
	}
	return nil
}

// exec runs ops with the substitution values vals, growing the tree. The
// elements it opens must be closed by the time it ends.
func (b *builder) exec(ops []op, vals []value) error {
	if b.work += len(ops); b.work > maxWork {
		return errTooMuchWork
	}
	base := len(b.stack)
	savedAttr := b.attr
	defer func() { b.attr = savedAttr }()
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opOpen:
			if len(b.stack) >= maxElementDepth {
				return errors.New("elements nested too deep")
			}
			idx, err := b.add(node{kind: nElem, name: o.name})
			if err != nil {
				return err
			}
			parent := b.top()
			b.link(parent, idx, false)
			b.nodes[parent].elemChild = true
			b.stack = append(b.stack, idx)
			b.attr = -1
		case opAttr:
			if len(b.stack) == base {
				return errors.New("attribute outside an element")
			}
			idx, err := b.add(node{kind: nAttr, name: o.name})
			if err != nil {
				return err
			}
			b.link(b.top(), idx, true)
			b.attr = idx
		case opCloseStart:
			b.attr = -1
		case opCloseEmpty, opEnd:
			b.attr = -1
			if len(b.stack) == base {
				return errors.New("end tag without an open element")
			}
			b.stack = b.stack[:len(b.stack)-1]
		case opText, opCDATA:
			if err := b.content(node{kind: nText, val: o.val}); err != nil {
				return err
			}
		case opValue:
			if err := b.content(node{kind: nValue, val: o.val}); err != nil {
				return err
			}
		case opCharRef:
			if err := b.content(node{kind: nCharRef, charRef: o.id}); err != nil {
				return err
			}
		case opEntity:
			if err := b.content(node{kind: nEntity, name: o.name}); err != nil {
				return err
			}
		case opPITarget, opPIData:
			if err := b.content(node{kind: nPI, name: o.name, val: o.val}); err != nil {
				return err
			}
		case opSubst:
			if err := b.subst(o, vals); err != nil {
				return err
			}
		case opTemplate:
			if err := b.exec(o.tmpl.ops, o.vals); err != nil {
				return err
			}
		}
	}
	if len(b.stack) != base {
		return fmt.Errorf("%d element(s) left open", len(b.stack)-base)
	}
	return nil
}

// subst places substitution value o.id. A missing value or an empty value
// for an optional substitution adds nothing; a BinXml value is decoded and
// expanded in place.
func (b *builder) subst(o *op, vals []value) error {
	if int(o.id) >= len(vals) {
		return nil
	}
	v := vals[o.id]
	if o.optional && v.empty() {
		return nil
	}
	if v.typ != typeBinXML {
		return b.content(node{kind: nValue, val: v})
	}
	if len(v.data) == 0 || b.attr >= 0 {
		return nil // no markup inside an attribute value
	}
	if b.nested >= maxNestedBinXML {
		return errors.New("BinXml values nested too deep")
	}
	if b.work += len(v.data); b.work > maxWork {
		return errTooMuchWork
	}
	start := b.p.c.offsetOf(v.data)
	if start < 0 {
		return errors.New("BinXml value outside its chunk")
	}
	first := len(b.p.ops)
	if _, err := b.p.parse(start, start+len(v.data), false, true); err != nil {
		return fmt.Errorf("BinXml value: %w", err)
	}
	nested := b.p.ops[first:len(b.p.ops):len(b.p.ops)]
	b.nested++
	err := b.exec(nested, nil)
	b.nested--
	return err
}

package evtx

import (
	"math"
	"strconv"
)

// override replaces one array value node by one of its items while an
// element expanded from that array is rendered ([MS-EVEN6] array types: the
// element holding an array substitution repeats once per item).
type override struct {
	node int32 // -1 when none
	item value
	omit bool // the item is an empty string: render nothing
}

// renderer writes the nested JSON form of a record tree.
type renderer struct {
	nodes  []node
	ov     override
	budget int    // bytes array expansion may still repeat (see maxExpandBytes)
	tmp    []byte // scratch for eventRecordID
}

// nameCount tracks repeated child names for the _1, _2 … key suffixes.
type nameCount struct {
	name  string
	count uint16
}

const maxTrackedNames = 64

// root returns the first element under the document node, or -1.
func (r *renderer) root() int32 {
	for c := r.nodes[0].first; c >= 0; c = r.nodes[c].next {
		if r.nodes[c].kind == nElem {
			return c
		}
	}
	return -1
}

// appendDocument renders {"<root>": …}.
func (r *renderer) appendDocument(dst []byte) []byte {
	r.ov = override{node: -1}
	r.budget = maxExpandBytes
	root := r.root()
	if root < 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, '{', '"')
	dst = appendStringJSON(dst, r.nodes[root].name)
	dst = append(dst, '"', ':')
	dst = r.elementValue(dst, root, false)
	return append(dst, '}')
}

// value returns the value of node i, applying the active override.
func (r *renderer) value(i int32) (v value, skip bool) {
	if i == r.ov.node {
		return r.ov.item, r.ov.omit
	}
	return r.nodes[i].val, false
}

// hasText reports whether a node list holds non-empty text-like content.
func (r *renderer) hasText(first int32) bool {
	for c := first; c >= 0; c = r.nodes[c].next {
		n := &r.nodes[c]
		switch n.kind {
		case nText:
			if len(n.val.data) > 0 {
				return true
			}
		case nValue:
			if v, skip := r.value(c); !skip && !v.empty() {
				return true
			}
		case nCharRef, nEntity:
			return true
		}
	}
	return false
}

func (r *renderer) attrsHaveText(e int32) bool {
	for a := r.nodes[e].attrs; a >= 0; a = r.nodes[a].next {
		if r.hasText(r.nodes[a].first) {
			return true
		}
	}
	return false
}

// appendText writes the text of a node list (elements skipped) as the
// inside of a JSON string.
func (r *renderer) appendText(dst []byte, first int32) []byte {
	for c := first; c >= 0; c = r.nodes[c].next {
		n := &r.nodes[c]
		switch n.kind {
		case nText:
			dst = appendUTF16JSON(dst, n.val.data)
		case nValue:
			if v, skip := r.value(c); !skip {
				dst = appendValueText(dst, v)
			}
		case nCharRef:
			dst = append(dst, '&', '#')
			dst = strconv.AppendUint(dst, uint64(n.charRef), 10)
			dst = append(dst, ';')
		case nEntity:
			dst = append(dst, '&')
			dst = appendStringJSON(dst, n.name)
			dst = append(dst, ';')
		}
	}
	return dst
}

// soleNumber returns the value of a node list that is exactly one numeric
// value node.
func (r *renderer) soleNumber(first int32) (value, bool) {
	var found value
	count := 0
	for c := first; c >= 0; c = r.nodes[c].next {
		if c == r.ov.node && r.ov.omit {
			continue
		}
		count++
		if count > 1 || r.nodes[c].kind != nValue {
			return value{}, false
		}
		found, _ = r.value(c)
	}
	return found, count == 1 && found.isNumber()
}

// soleNumberSkipElements is soleNumber for mixed content: elements, empty
// text and empty values are ignored; any other text rules a number out.
func (r *renderer) soleNumberSkipElements(first int32) (value, bool) {
	var found value
	count := 0
	for c := first; c >= 0; c = r.nodes[c].next {
		n := &r.nodes[c]
		switch n.kind {
		case nText:
			if len(n.val.data) > 0 {
				return value{}, false
			}
		case nValue:
			v, skip := r.value(c)
			if skip || v.empty() {
				continue
			}
			count++
			found = v
		case nCharRef, nEntity:
			return value{}, false
		}
	}
	return found, count == 1 && found.isNumber()
}

// contentValue writes a node list as a JSON number when it is one numeric
// value, else as a string.
func (r *renderer) contentValue(dst []byte, first int32) []byte {
	if v, ok := r.soleNumber(first); ok {
		return appendNumber(dst, v)
	}
	dst = append(dst, '"')
	dst = r.appendText(dst, first)
	return append(dst, '"')
}

// elementValue writes the JSON value of element e: null when it holds
// nothing, a scalar when it holds only text, else an object.
func (r *renderer) elementValue(dst []byte, e int32, container bool) []byte {
	n := &r.nodes[e]
	hasText := r.hasText(n.first)
	hasAttrs := r.attrsHaveText(e)
	switch {
	case !n.elemChild && !hasText && !hasAttrs:
		return append(dst, "null"...)
	case !n.elemChild && !hasAttrs:
		return r.contentValue(dst, n.first)
	}
	return r.elementBody(dst, e, container)
}

// dataValue writes the value of a Data element inside EventData/UserData:
// "" when empty.
func (r *renderer) dataValue(dst []byte, e int32) []byte {
	n := &r.nodes[e]
	switch {
	case n.elemChild:
		return r.elementBody(dst, e, false)
	case !r.hasText(n.first):
		return append(dst, '"', '"')
	}
	return r.contentValue(dst, n.first)
}

// nameAttr returns the Name attribute of e, or -1.
func (r *renderer) nameAttr(e int32) int32 {
	for a := r.nodes[e].attrs; a >= 0; a = r.nodes[a].next {
		if r.nodes[a].name == "Name" {
			return a
		}
	}
	return -1
}

// expansion finds the first array value of length > 1 directly in e's
// content, then in its attributes, and returns it with its length.
func (r *renderer) expansion(e int32) (int32, int) {
	scan := func(first int32) (int32, int) {
		for c := first; c >= 0; c = r.nodes[c].next {
			n := &r.nodes[c]
			if n.kind == nValue && n.val.typ&typeArray != 0 {
				if k := n.val.arrayLen(); k > 1 {
					return c, k
				}
			}
		}
		return -1, 0
	}
	if c, k := scan(r.nodes[e].first); k > 1 {
		return c, k
	}
	for a := r.nodes[e].attrs; a >= 0; a = r.nodes[a].next {
		if c, k := scan(r.nodes[a].first); k > 1 {
			return c, k
		}
	}
	return -1, 0
}

// instances calls fn once per rendered copy of element e: once, or once per
// item when e holds an array value. Expansion is skipped (the array then
// renders as comma-separated text) once it would repeat more than the
// document's budget of bytes, so hostile input cannot blow up the output.
func (r *renderer) instances(e int32, fn func()) {
	arr, k := r.expansion(e)
	if k <= 1 {
		fn()
		return
	}
	cost := k * r.subtreeBytes(e)
	if cost > r.budget {
		fn()
		return
	}
	r.budget -= cost
	saved := r.ov
	v := r.nodes[arr].val
	for off := 0; ; {
		item, next, ok := v.nextItem(off)
		if !ok {
			break
		}
		off = next
		r.ov = override{node: arr, item: item, omit: item.typ == typeString && len(item.data) == 0}
		fn()
	}
	r.ov = saved
}

// subtreeBytes estimates the output size of element e: its text and value
// bytes plus a little per node.
func (r *renderer) subtreeBytes(e int32) int {
	n := &r.nodes[e]
	size := 16 + len(n.name) + len(n.val.data)
	for a := n.attrs; a >= 0; a = r.nodes[a].next {
		size += r.subtreeBytes(a)
	}
	for c := n.first; c >= 0; c = r.nodes[c].next {
		size += r.subtreeBytes(c)
	}
	return size
}

func isDataContainer(name string) bool { return name == "EventData" || name == "UserData" }

// elementBody writes element e as an object: "#attributes", "#text", then
// child elements keyed by name (repeats get _1, _2 …). In EventData and
// UserData, Data children are keyed by their Name attribute, or gathered
// under "Data": {"#text": …} when none has a name.
func (r *renderer) elementBody(dst []byte, e int32, container bool) []byte {
	dst = append(dst, '{')
	wrote := false
	if a := r.nodes[e].attrs; a >= 0 && r.attrsHaveText(e) {
		dst = append(dst, `"#attributes":{`...)
		first := true
		for ; a >= 0; a = r.nodes[a].next {
			an := &r.nodes[a]
			if !r.hasText(an.first) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, '"')
			dst = appendStringJSON(dst, an.name)
			dst = append(dst, '"', ':')
			dst = r.contentValue(dst, an.first)
		}
		dst = append(dst, '}')
		wrote = true
	}
	if r.hasText(r.nodes[e].first) {
		if wrote {
			dst = append(dst, ',')
		}
		wrote = true
		dst = append(dst, `"#text":`...)
		if v, ok := r.soleNumberSkipElements(r.nodes[e].first); ok {
			dst = appendNumber(dst, v)
		} else {
			dst = append(dst, '"')
			dst = r.appendText(dst, r.nodes[e].first)
			dst = append(dst, '"')
		}
	}

	flatten, positional := false, 0
	if container {
		budget := r.budget // counting must not spend the expansion budget
		for c := r.nodes[e].first; c >= 0; c = r.nodes[c].next {
			if r.nodes[c].kind != nElem || r.nodes[c].name != "Data" {
				continue
			}
			if a := r.nameAttr(c); a >= 0 && r.hasText(r.nodes[a].first) {
				flatten = true
			}
			r.instances(c, func() { positional++ })
		}
		r.budget = budget
	}

	var names [maxTrackedNames]nameCount
	unique := 0
	positionalDone := false
	for c := r.nodes[e].first; c >= 0; c = r.nodes[c].next {
		child := &r.nodes[c]
		if child.kind != nElem {
			continue
		}
		if container && child.name == "Data" {
			switch {
			case flatten:
				r.instances(c, func() {
					a := r.nameAttr(c)
					if a < 0 || !r.hasText(r.nodes[a].first) {
						return
					}
					if wrote {
						dst = append(dst, ',')
					}
					wrote = true
					dst = append(dst, '"')
					dst = r.appendText(dst, r.nodes[a].first)
					dst = append(dst, '"', ':')
					dst = r.dataValue(dst, c)
				})
			case !positionalDone:
				positionalDone = true
				if wrote {
					dst = append(dst, ',')
				}
				wrote = true
				dst = append(dst, `"Data":{"#text":`...)
				if positional > 1 {
					dst = append(dst, '[')
				}
				i := 0
				for d := c; d >= 0; d = r.nodes[d].next {
					if r.nodes[d].kind != nElem || r.nodes[d].name != "Data" {
						continue
					}
					r.instances(d, func() {
						if i > 0 {
							dst = append(dst, ',')
						}
						i++
						dst = r.dataValue(dst, d)
					})
				}
				if positional > 1 {
					dst = append(dst, ']')
				}
				dst = append(dst, '}')
			}
			continue
		}
		r.instances(c, func() {
			suffix := 0
			found := false
			for i := 0; i < unique; i++ {
				if names[i].name == child.name {
					suffix = int(names[i].count)
					names[i].count++
					found = true
					break
				}
			}
			if !found && unique < maxTrackedNames {
				names[unique] = nameCount{name: child.name, count: 1}
				unique++
			}
			if wrote {
				dst = append(dst, ',')
			}
			wrote = true
			dst = append(dst, '"')
			dst = appendStringJSON(dst, child.name)
			if suffix > 0 {
				dst = append(dst, '_')
				dst = strconv.AppendUint(dst, uint64(suffix), 10)
			}
			dst = append(dst, '"', ':')
			dst = r.elementValue(dst, c, isDataContainer(child.name))
		})
	}
	return append(dst, '}')
}

// child returns the first element child of e named name, or -1.
func (r *renderer) child(e int32, name string) int32 {
	for c := r.nodes[e].first; c >= 0; c = r.nodes[c].next {
		if r.nodes[c].kind == nElem && r.nodes[c].name == name {
			return c
		}
	}
	return -1
}

// eventRecordID returns the integer in System/EventRecordID, whether it is
// stored as an integer value or as decimal text.
func (r *renderer) eventRecordID() (uint64, bool) {
	root := r.root()
	if root < 0 {
		return 0, false
	}
	sys := r.child(root, "System")
	if sys < 0 {
		return 0, false
	}
	e := r.child(sys, "EventRecordID")
	if e < 0 {
		return 0, false
	}
	text := r.tmp[:0]
	defer func() { r.tmp = text[:0] }()
	for c := r.nodes[e].first; c >= 0; c = r.nodes[c].next {
		n := &r.nodes[c]
		switch {
		case n.kind == nValue && n.val.isNumber() && n.val.typ != typeBool:
			text = appendNumber(text, n.val)
		case n.kind == nValue || n.kind == nText:
			text = appendValueText(text, n.val)
		}
		if len(text) > 32 {
			return 0, false
		}
	}
	return parseDecimal(text)
}

// parseDecimal parses a plain unsigned decimal integer.
func parseDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var x uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if x > (math.MaxUint64-d)/10 {
			return 0, false
		}
		x = x*10 + d
	}
	return x, true
}

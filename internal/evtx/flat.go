package evtx

import (
	"bytes"
	"errors"
	"fmt"
)

// FlattenJSON turns one nested-form document ({"Event": {…}}, as written by
// Record.AppendJSON or evtx_dump -o json) into the flat form and appends it
// to dst.
//
// The flat form is one object without nesting. System fields come first,
// keyed by leaf name: a scalar element by its name (EventID, Channel, …),
// an attribute as Element_Attribute (Provider_Name, Execution_ProcessID, …),
// with TimeCreated standing for TimeCreated_SystemTime; null elements are
// left out. Then every leaf of EventData, UserData and any other section:
// named Data by their Name, unnamed Data as "Data" (a string, or an array
// when several), other elements by their name, attributes as
// Element_Attribute (xmlns is dropped). A key seen more than once outside
// System becomes an array of its values, and such a key replaces a System
// field of the same name. Values are copied as they are (numbers stay
// numbers).
func FlattenJSON(nested, dst []byte) ([]byte, error) {
	var f flattener
	return f.flatten(nested, dst)
}

// flatEntry is one leaf found in the nested document.
type flatEntry struct {
	ks, ke int32 // key bytes in flattener.keys (raw, JSON-escaped)
	val    []byte
	sys    bool
}

// flattener holds the scratch space of FlattenJSON so a Reader can reuse it.
type flattener struct {
	keys    []byte
	entries []flatEntry
}

var errNoEvent = errors.New("evtx: flatten: document has no \"Event\" object")

func (f *flattener) flatten(nested, dst []byte) ([]byte, error) {
	f.keys = f.keys[:0]
	f.entries = f.entries[:0]
	end, err := skipValue(nested, skipSpace(nested, 0), 0)
	if err != nil {
		return dst, fmt.Errorf("evtx: flatten: %w", err)
	}
	if skipSpace(nested, end) != len(nested) {
		return dst, fmt.Errorf("evtx: flatten: trailing data at %d", end)
	}
	it, err := newObjectIter(nested, 0)
	if err != nil {
		return dst, fmt.Errorf("evtx: flatten: %w", err)
	}
	var event []byte
	for {
		m, ok, err := it.next()
		if err != nil {
			return dst, fmt.Errorf("evtx: flatten: %w", err)
		}
		if !ok {
			break
		}
		if string(m.key) == "Event" && len(m.val) > 0 && m.val[0] == '{' {
			event = m.val
		}
	}
	if event == nil {
		return dst, errNoEvent
	}
	ev, _ := newObjectIter(event, 1)
	for {
		m, ok, err := ev.next()
		if err != nil {
			return dst, fmt.Errorf("evtx: flatten: %w", err)
		}
		if !ok {
			break
		}
		switch {
		case string(m.key) == "#attributes":
		case m.val[0] == '{':
			if err := f.walk(m.val, m.key, string(m.key) == "System", 2); err != nil {
				return dst, fmt.Errorf("evtx: flatten: %w", err)
			}
		case m.val[0] != 'n':
			f.emit(m.key, nil, m.val, false)
		}
	}
	return f.write(dst), nil
}

// walk emits the leaves of the object obj, the value of element parent.
func (f *flattener) walk(obj, parent []byte, sys bool, depth int) error {
	it, err := newObjectIter(obj, depth)
	if err != nil {
		return err
	}
	for {
		m, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		switch {
		case string(m.key) == "#attributes" && m.val[0] == '{':
			at, _ := newObjectIter(m.val, depth+1)
			for {
				a, ok, err := at.next()
				if err != nil || !ok {
					if err != nil {
						return err
					}
					break
				}
				switch {
				case string(a.key) == "xmlns":
				case sys && a.val[0] == 'n':
				case sys && string(parent) == "TimeCreated" && string(a.key) == "SystemTime":
					f.emit(parent, nil, a.val, sys)
				default:
					f.emit(parent, a.key, a.val, sys)
				}
			}
		case string(m.key) == "#text":
			f.emit(parent, nil, m.val, sys)
		case m.val[0] == '{':
			if err := f.walk(m.val, m.key, sys, depth+1); err != nil {
				return err
			}
		case sys && m.val[0] == 'n':
		default:
			f.emit(m.key, nil, m.val, sys)
		}
	}
}

// emit records a leaf keyed name or name_attr.
func (f *flattener) emit(name, attr, val []byte, sys bool) {
	ks := len(f.keys)
	f.keys = append(f.keys, name...)
	if attr != nil {
		f.keys = append(f.keys, '_')
		f.keys = append(f.keys, attr...)
	}
	f.entries = append(f.entries, flatEntry{ks: int32(ks), ke: int32(len(f.keys)), val: val, sys: sys})
}

func (f *flattener) key(i int) []byte {
	e := &f.entries[i]
	return f.keys[e.ks:e.ke]
}

// seen reports whether an entry before i with the same sys flag has i's key.
func (f *flattener) seen(i int) bool {
	k := f.key(i)
	for j := 0; j < i; j++ {
		if f.entries[j].sys == f.entries[i].sys && bytes.Equal(f.key(j), k) {
			return true
		}
	}
	return false
}

// write appends the flat object: System entries not overridden by a data
// entry of the same key, then data entries with repeats merged into arrays.
func (f *flattener) write(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	for i := range f.entries {
		if !f.entries[i].sys || f.seen(i) {
			continue
		}
		k := f.key(i)
		clash := false
		for j := range f.entries {
			if !f.entries[j].sys && bytes.Equal(f.key(j), k) {
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		sep()
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = append(dst, f.entries[i].val...)
	}
	for i := range f.entries {
		if f.entries[i].sys || f.seen(i) {
			continue
		}
		k := f.key(i)
		sep()
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		repeats := false
		for j := i + 1; j < len(f.entries); j++ {
			if !f.entries[j].sys && bytes.Equal(f.key(j), k) {
				repeats = true
				break
			}
		}
		if !repeats {
			dst = append(dst, f.entries[i].val...)
			continue
		}
		dst = append(dst, '[')
		n := 0
		for j := i; j < len(f.entries); j++ {
			if f.entries[j].sys || !bytes.Equal(f.key(j), k) {
				continue
			}
			v := f.entries[j].val
			if v[0] == '[' { // splice the items of an array value
				v = bytes.TrimSpace(v[1 : len(v)-1])
				if len(v) == 0 {
					continue
				}
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, v...)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

package evtx

import (
	"bytes"
	"fmt"
)

// FlattenJSON turns one nested-form document ({"Event": {…}}, as written by
// Record.AppendJSON or evtx_dump -o json) into the flat form and appends it
// to dst. The root element is the first member of the document, whatever
// its name; a root that is not an object gives an empty flat object. Only
// malformed JSON (or a document that is not an object) is an error, and
// then dst is returned unchanged.
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
// numbers), except that the integer System fields (EventID, Level, Task,
// Execution_ProcessID, …) stored as decimal strings become numbers.
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

func (f *flattener) flatten(nested, dst []byte) ([]byte, error) {
	f.keys = f.keys[:0]
	f.entries = f.entries[:0]
	b := nested
	root := false
	end, err := members(b, skipSpace(b, 0), 0, func(key []byte, v int) (int, error) {
		if root || b[v] != '{' {
			root = true
			return skipValue(b, v, 1)
		}
		root = true
		return members(b, v, 1, func(key []byte, v int) (int, error) {
			switch {
			case string(key) == "#attributes":
				return skipValue(b, v, 2)
			case b[v] == '{':
				return f.walk(b, v, key, string(key) == "System", 2)
			}
			end, err := skipValue(b, v, 2)
			if err == nil && b[v] != 'n' {
				f.emit(key, nil, b[v:end], false)
			}
			return end, err
		})
	})
	if err != nil {
		return dst, fmt.Errorf("evtx: flatten: %w", err)
	}
	if skipSpace(b, end) != len(b) {
		return dst, fmt.Errorf("evtx: flatten: trailing data at %d", end)
	}
	return f.write(dst), nil
}

// walk emits the leaves of the object at b[i], the value of element parent,
// and returns the index just past it.
func (f *flattener) walk(b []byte, i int, parent []byte, sys bool, depth int) (int, error) {
	return members(b, i, depth, func(key []byte, v int) (int, error) {
		switch {
		case string(key) == "#attributes" && b[v] == '{':
			return members(b, v, depth+1, func(attr []byte, v int) (int, error) {
				end, err := skipValue(b, v, depth+2)
				switch {
				case err != nil, isXMLNS(attr), sys && b[v] == 'n':
				case sys && string(parent) == "TimeCreated" && string(attr) == "SystemTime":
					f.emit(parent, nil, b[v:end], sys)
				default:
					f.emit(parent, attr, b[v:end], sys)
				}
				return end, err
			})
		case b[v] == '{':
			return f.walk(b, v, key, sys, depth+1)
		}
		end, err := skipValue(b, v, depth+1)
		switch {
		case err != nil, sys && b[v] == 'n':
		case string(key) == "#text":
			f.emit(parent, nil, b[v:end], sys)
		default:
			f.emit(key, nil, b[v:end], sys)
		}
		return end, err
	})
}

// isXMLNS reports whether an attribute name declares a namespace (xmlns or
// xmlns:prefix); such attributes carry no event data.
func isXMLNS(name []byte) bool {
	return len(name) >= 5 && string(name[:5]) == "xmlns" && (len(name) == 5 || name[5] == ':')
}

// numericSystemField reports whether a System field is an integer in the
// event schema. Some logs (forwarded or exported events) store every value
// as a string; the flat form turns such decimal strings back into numbers
// so rules compare them the same way.
func numericSystemField(key []byte) bool {
	switch string(key) {
	case "EventID", "EventID_Qualifiers", "Version", "Level", "Task", "Opcode", "EventRecordID",
		"Execution_ProcessID", "Execution_ThreadID":
		return true
	}
	return false
}

// decimalString returns the digits of a JSON string holding a plain
// decimal integer (no sign, no leading zero, at most 19 digits).
func decimalString(v []byte) ([]byte, bool) {
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	d := v[1 : len(v)-1]
	if len(d) == 0 || len(d) > 19 || (d[0] == '0' && len(d) > 1) {
		return nil, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	return d, true
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
		val := f.entries[i].val
		if numericSystemField(k) {
			if d, ok := decimalString(val); ok {
				val = d
			}
		}
		dst = append(dst, val...)
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

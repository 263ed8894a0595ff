package oscal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is a validation failure: the JSON path of the first problem found
// and what is wrong there.
type Error struct {
	Path string // e.g. $.catalog.groups[2].controls[0].id
	Msg  string
}

func (e *Error) Error() string { return "oscal: " + e.Path + ": " + e.Msg }

func errf(path, format string, a ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// MaxDocumentBytes bounds what the readers accept (the whole NIST SP 800-53
// rev5 catalog is about 10 MB).
const MaxDocumentBytes = 64 << 20

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// object is a JSON object that keeps its members in document order, so the
// first problem reported is the first in the file.
type object struct {
	path string
	keys []string
	vals map[string]any
}

// array is a JSON array.
type array struct {
	path  string
	items []any
}

// decodeTree reads one JSON value into objects, arrays, strings,
// json.Number, bools and nils, refusing duplicate keys and trailing data.
func decodeTree(r io.Reader) (any, error) {
	dec := json.NewDecoder(io.LimitReader(r, MaxDocumentBytes+1))
	dec.UseNumber()
	v, err := readValue(dec, "$", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errf("$", "data after the end of the document")
		}
		return nil, syntaxErr(dec, err)
	}
	if dec.InputOffset() > MaxDocumentBytes {
		return nil, errf("$", "document larger than %d bytes", MaxDocumentBytes)
	}
	return v, nil
}

func syntaxErr(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errf("$", "not JSON: unexpected end of input at byte %d", dec.InputOffset())
	}
	return errf("$", "not JSON: %v (near byte %d)", err, dec.InputOffset())
}

func readValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errf(path, "nested more than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxErr(dec, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{path: path, vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxErr(dec, err)
				}
				k := kt.(string)
				if _, dup := o.vals[k]; dup {
					return nil, errf(path, "key %q appears twice", k)
				}
				v, err := readValue(dec, path+"."+k, depth+1)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(dec, err)
			}
			return o, nil
		case '[':
			a := &array{path: path}
			for i := 0; dec.More(); i++ {
				v, err := readValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
				if err != nil {
					return nil, err
				}
				a.items = append(a.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(dec, err)
			}
			return a, nil
		}
		return nil, errf(path, "unexpected %v", t)
	default:
		return tok, nil
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case *array:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func childPath(parent, key string) string { return parent + "." + key }

// asObject checks v is an object and that it has only the allowed keys
// (OSCAL's JSON schemas are closed: additionalProperties is false).
func asObject(path string, v any, allowed ...string) (*object, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, errf(path, "must be an object, not %s", typeName(v))
	}
	if allowed != nil {
		for _, k := range o.keys {
			if !slices.Contains(allowed, k) {
				return nil, errf(childPath(path, k), "unknown field (allowed here: %s)", strings.Join(allowed, ", "))
			}
		}
	}
	return o, nil
}

func (o *object) has(key string) bool { _, ok := o.vals[key]; return ok }

func (o *object) str(key string, required bool) (string, error) {
	v, ok := o.vals[key]
	if !ok {
		if required {
			return "", errf(childPath(o.path, key), "required")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errf(childPath(o.path, key), "must be a string, not %s", typeName(v))
	}
	if required && strings.TrimSpace(s) == "" {
		return "", errf(childPath(o.path, key), "must not be empty")
	}
	return s, nil
}

func (o *object) token(key string, required bool) (string, error) {
	s, err := o.str(key, required)
	if err != nil || s == "" {
		if err == nil && o.has(key) {
			return "", errf(childPath(o.path, key), "must not be empty")
		}
		return s, err
	}
	if !tokenRE.MatchString(s) {
		return "", errf(childPath(o.path, key), "%q is not an OSCAL token (a letter or _ then letters, digits, '.', '-', '_')", s)
	}
	return s, nil
}

func (o *object) uuid(key string, required bool) (string, error) {
	s, err := o.str(key, required)
	if err != nil || s == "" {
		return s, err
	}
	if !uuidRE.MatchString(s) {
		return "", errf(childPath(o.path, key), "%q is not a version 4 or 5 UUID", s)
	}
	return s, nil
}

func (o *object) dateTime(key string, required bool) (string, error) {
	s, err := o.str(key, required)
	if err != nil || s == "" {
		return s, err
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return "", errf(childPath(o.path, key), "%q is not a date-time with a time zone (RFC 3339)", s)
	}
	return s, nil
}

func (o *object) obj(key string, required bool, allowed ...string) (*object, error) {
	v, ok := o.vals[key]
	if !ok {
		if required {
			return nil, errf(childPath(o.path, key), "required")
		}
		return nil, nil
	}
	return asObject(childPath(o.path, key), v, allowed...)
}

// arr returns the items of an array member; OSCAL arrays, when present,
// hold at least one item.
func (o *object) arr(key string, required bool) ([]any, string, error) {
	p := childPath(o.path, key)
	v, ok := o.vals[key]
	if !ok {
		if required {
			return nil, p, errf(p, "required")
		}
		return nil, p, nil
	}
	a, ok := v.(*array)
	if !ok {
		return nil, p, errf(p, "must be an array, not %s", typeName(v))
	}
	return a.items, p, nil
}

func (o *object) strings(key string, required bool) ([]string, error) {
	items, p, err := o.arr(key, required)
	if err != nil {
		return nil, err
	}
	if required && len(items) == 0 {
		return nil, errf(p, "must hold at least one item")
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, errf(p+"["+strconv.Itoa(i)+"]", "must be a string, not %s", typeName(it))
		}
		out = append(out, s)
	}
	return out, nil
}

func itemPath(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

var (
	// OSCAL's token type (a non-colonised name).
	tokenRE = regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)
	// OSCAL 1.1's uuid type: RFC 4122 version 4 or 5.
	uuidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
)

// readRoot decodes a document and returns the object under its one root
// key, which must be one of want.
func readRoot(r io.Reader, want ...string) (string, *object, error) {
	if r == nil {
		return "", nil, errf("$", "no document")
	}
	v, err := decodeTree(r)
	if err != nil {
		return "", nil, err
	}
	root, err := asObject("$", v)
	if err != nil {
		return "", nil, err
	}
	if len(root.keys) == 0 {
		return "", nil, errf("$", "empty object: expected one of %s", strings.Join(want, ", "))
	}
	for _, k := range root.keys {
		if k == "$schema" {
			if _, err := root.str(k, false); err != nil {
				return "", nil, err
			}
			continue
		}
		if !slices.Contains(want, k) {
			return "", nil, errf(childPath("$", k), "unknown root (expected %s)", strings.Join(want, " or "))
		}
	}
	var name string
	for _, k := range want {
		if root.has(k) {
			if name != "" {
				return "", nil, errf("$", "more than one root (%s and %s)", name, k)
			}
			name = k
		}
	}
	if name == "" {
		return "", nil, errf("$", "expected one of %s", strings.Join(want, ", "))
	}
	o, err := root.obj(name, true)
	return name, o, err
}

package evtx

import (
	"errors"
	"fmt"
)

// A small JSON scanner for FlattenJSON: it finds object members and value
// extents without decoding strings or numbers (values are copied raw).

const maxJSONDepth = 512

var errJSONEnd = errors.New("unexpected end of JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index just past the string starting at b[i] == '"'.
func scanString(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
		case c < 0x20:
			return i, fmt.Errorf("control character in JSON string at %d", i)
		}
	}
	return i, errJSONEnd
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errJSONEnd
	}
	switch c := b[i]; c {
	case '"':
		return scanString(b, i)
	case '{', '[':
		if depth >= maxJSONDepth {
			return i, errors.New("JSON nested too deep")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, fmt.Errorf("expected object key at %d", i)
				}
				if i, err = scanString(b, i); err != nil {
					return i, err
				}
				i = skipSpace(b, i)
				if i >= len(b) || b[i] != ':' {
					return i, fmt.Errorf("expected ':' at %d", i)
				}
				i = skipSpace(b, i+1)
			}
			if i, err = skipValue(b, i, depth+1); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errJSONEnd
			}
			if b[i] == closer {
				return i + 1, nil
			}
			if b[i] != ',' {
				return i, fmt.Errorf("expected ',' at %d", i)
			}
			i = skipSpace(b, i+1)
		}
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
				return i + len(lit), nil
			}
		}
		return i, fmt.Errorf("bad literal at %d", i)
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				j++
				continue
			}
			break
		}
		if j == i {
			return i, fmt.Errorf("unexpected %q at %d", c, i)
		}
		return j, nil
	}
}

// member is one object member: the raw key (inside the quotes, still
// escaped) and the raw value.
type member struct {
	key, val []byte
}

// objectIter walks the members of the object at b[i] == '{'.
type objectIter struct {
	b     []byte
	i     int
	depth int
	done  bool
}

func newObjectIter(b []byte, depth int) (objectIter, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return objectIter{}, errors.New("JSON value is not an object")
	}
	if depth >= maxJSONDepth {
		return objectIter{}, errors.New("JSON nested too deep")
	}
	it := objectIter{b: b, i: skipSpace(b, i+1), depth: depth}
	if it.i < len(b) && b[it.i] == '}' {
		it.done = true
	}
	return it, nil
}

// next returns the next member; ok is false at the end of the object.
func (it *objectIter) next() (m member, ok bool, err error) {
	if it.done {
		return member{}, false, nil
	}
	b, i := it.b, it.i
	if i >= len(b) || b[i] != '"' {
		return member{}, false, fmt.Errorf("expected object key at %d", i)
	}
	end, err := scanString(b, i)
	if err != nil {
		return member{}, false, err
	}
	m.key = b[i+1 : end-1]
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return member{}, false, fmt.Errorf("expected ':' at %d", i)
	}
	i = skipSpace(b, i+1)
	end, err = skipValue(b, i, it.depth+1)
	if err != nil {
		return member{}, false, err
	}
	m.val = b[i:end]
	i = skipSpace(b, end)
	switch {
	case i >= len(b):
		return member{}, false, errJSONEnd
	case b[i] == '}':
		it.done = true
	case b[i] == ',':
		i = skipSpace(b, i+1)
	default:
		return member{}, false, fmt.Errorf("expected ',' or '}' at %d", i)
	}
	it.i = i
	return m, true, nil
}

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

// stringStop marks the bytes that end a run of plain string content.
var stringStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// scanString returns the index just past the string starting at b[i] == '"'.
func scanString(b []byte, i int) (int, error) {
	i++
	for {
		for i < len(b) && !stringStop[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, errJSONEnd
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, errJSONEnd
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return i, fmt.Errorf("bad \\u escape at %d", i)
				}
				i += 6
			default:
				return i, fmt.Errorf("bad escape at %d", i)
			}
		default:
			return i, fmt.Errorf("control character in JSON string at %d", i)
		}
	}
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
		return scanNumber(b, i)
	}
}

// scanNumber returns the index just past the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	start := i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return start, fmt.Errorf("bad number at %d", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return start, fmt.Errorf("bad number at %d", start)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return start, fmt.Errorf("bad number at %d", start)
		}
	}
	return i, nil
}

// members walks the object at b[i] == '{': for each member it calls fn
// with the raw key (inside the quotes, still escaped) and the index where
// the value starts; fn returns the index just past the value. members
// returns the index just past the object.
func members(b []byte, i, depth int, fn func(key []byte, v int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return i, errors.New("JSON value is not an object")
	}
	if depth >= maxJSONDepth {
		return i, errors.New("JSON nested too deep")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, fmt.Errorf("expected object key at %d", i)
		}
		end, err := scanString(b, i)
		if err != nil {
			return end, err
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, fmt.Errorf("expected ':' at %d", i)
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return i, errJSONEnd
		}
		if i, err = fn(key, i); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		switch {
		case i >= len(b):
			return i, errJSONEnd
		case b[i] == '}':
			return i + 1, nil
		case b[i] == ',':
			i = skipSpace(b, i+1)
		default:
			return i, fmt.Errorf("expected ',' or '}' at %d", i)
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

package stix

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxObjectBytes bounds one object of a bundle.
const MaxObjectBytes = 1 << 20

// Reader reads the objects of a STIX bundle one at a time, without holding
// the bundle: {"type":"bundle","id":…,"objects":[…]}. A TAXII envelope
// ({"more":…,"objects":[…]}) reads the same way.
type Reader struct {
	dec    *json.Decoder
	state  int // 0 before '{', 1 among members, 2 in objects, 3 done
	kind   string
	err    error
	offset func() int64
}

// NewReader reads a bundle from r.
func NewReader(r io.Reader) *Reader {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.UseNumber()
	return &Reader{dec: dec, offset: dec.InputOffset}
}

// BundleError is a document that is not a well-formed bundle; Offset is
// the byte where reading stopped.
type BundleError struct {
	Offset int64
	Msg    string
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("not a readable STIX bundle (at byte %d): %s", e.Offset, e.Msg)
}

func (r *Reader) fail(format string, args ...any) error {
	r.err = &BundleError{Offset: r.offset(), Msg: fmt.Sprintf(format, args...)}
	r.state = 3
	return r.err
}

// Next returns the next object of the objects array, as raw JSON, or
// io.EOF after the last. An error other than io.EOF is a *BundleError
// and ends the reading (objects returned before it stand).
func (r *Reader) Next() (json.RawMessage, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		switch r.state {
		case 0:
			t, err := r.dec.Token()
			if err != nil {
				return nil, r.fail("%v", tokenErr(err))
			}
			if d, ok := t.(json.Delim); !ok || d != '{' {
				return nil, r.fail("a bundle is a JSON object, got %v", t)
			}
			r.state = 1
		case 1:
			t, err := r.dec.Token()
			if err != nil {
				return nil, r.fail("%v", tokenErr(err))
			}
			if d, ok := t.(json.Delim); ok && d == '}' {
				if _, err := r.dec.Token(); err != io.EOF {
					return nil, r.fail("data after the bundle")
				}
				r.state = 3
				if r.kind != "" && r.kind != "bundle" {
					return nil, r.fail("type is %q, not bundle", r.kind)
				}
				r.err = io.EOF
				return nil, io.EOF
			}
			key, _ := t.(string)
			switch key {
			case "objects":
				t, err := r.dec.Token()
				if err != nil {
					return nil, r.fail("%v", tokenErr(err))
				}
				if d, ok := t.(json.Delim); !ok || d != '[' {
					return nil, r.fail("objects must be an array")
				}
				r.state = 2
			case "type":
				var s string
				if err := r.dec.Decode(&s); err != nil {
					return nil, r.fail("type must be a string")
				}
				if s != "bundle" {
					return nil, r.fail("type is %q, not bundle", s)
				}
				r.kind = s
			default:
				var skip json.RawMessage
				if err := r.dec.Decode(&skip); err != nil {
					return nil, r.fail("member %q: %v", key, tokenErr(err))
				}
			}
		case 2:
			if !r.dec.More() {
				if _, err := r.dec.Token(); err != nil {
					return nil, r.fail("%v", tokenErr(err))
				}
				r.state = 1
				continue
			}
			var raw json.RawMessage
			if err := r.dec.Decode(&raw); err != nil {
				return nil, r.fail("%v", tokenErr(err))
			}
			if len(raw) > MaxObjectBytes {
				return nil, r.fail("an object of %d bytes (at most %d)", len(raw), MaxObjectBytes)
			}
			return raw, nil
		default:
			if r.err == nil {
				r.err = io.EOF
			}
			return nil, r.err
		}
	}
}

func tokenErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of input")
	}
	return err
}

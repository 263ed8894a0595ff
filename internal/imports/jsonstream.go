package imports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A token-level JSON walker: the big arrays of a report are read one
// element at a time with Decode, and everything else is skipped token by
// token, so memory stays bounded by the largest single element.

type jstream struct {
	p   *parser
	dec *json.Decoder
}

func newJStream(p *parser, r io.Reader) *jstream {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &jstream{p: p, dec: dec}
}

func (j *jstream) fail(where string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return j.p.errAt(where, "unexpected end of file at byte %d", j.dec.InputOffset())
	case errors.As(err, &se):
		return j.p.errAt(where, "not JSON: %v (byte %d)", se, se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field != "" {
			field = "." + field
		}
		return j.p.errAt(where+field, "must be %s, not a JSON %s", te.Type, te.Value)
	}
	var ie *Error
	if errors.As(err, &ie) {
		return err
	}
	return j.p.errAt(where, "%v", err)
}

func (j *jstream) token(where string) (json.Token, error) {
	t, err := j.dec.Token()
	if err != nil {
		return nil, j.fail(where, err)
	}
	return t, nil
}

// open reads the opening delimiter of an object or array.
func (j *jstream) open(where string, want json.Delim) error {
	t, err := j.token(where)
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		kind := "an object"
		if want == '[' {
			kind = "an array"
		}
		return j.p.errAt(where, "must be %s, not %s", kind, describe(t))
	}
	return nil
}

func describe(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		if v == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", t)
}

// object walks the members of an object whose '{' is next, calling fn for
// each key with the decoder positioned at the value; fn must consume it.
func (j *jstream) object(where string, fn func(key, where string) error) error {
	if err := j.open(where, '{'); err != nil {
		return err
	}
	for j.dec.More() {
		t, err := j.token(where)
		if err != nil {
			return err
		}
		k, _ := t.(string)
		if err := fn(k, where+"."+k); err != nil {
			return err
		}
	}
	_, err := j.token(where)
	return err
}

// array walks the elements of an array whose '[' is next; null is an
// empty array (Trivy writes "Vulnerabilities": null).
func (j *jstream) array(where string, fn func(i int, where string) error) error {
	t, err := j.token(where)
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return j.p.errAt(where, "must be an array, not %s", describe(t))
	}
	for i := 0; j.dec.More(); i++ {
		if err := fn(i, where+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	_, err = j.token(where)
	return err
}

// decode reads the next value into v.
func (j *jstream) decode(where string, v any) error {
	if err := j.dec.Decode(v); err != nil {
		return j.fail(where, err)
	}
	return nil
}

// skip consumes the next value, whatever it is, without keeping it.
func (j *jstream) skip(where string) error {
	depth := 0
	for {
		t, err := j.token(where)
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// str reads a string value (null reads as "").
func (j *jstream) str(where string) (string, error) {
	t, err := j.token(where)
	if err != nil {
		return "", err
	}
	switch v := t.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case json.Number:
		return v.String(), nil
	}
	if d, ok := t.(json.Delim); ok && (d == '{' || d == '[') {
		return "", j.p.errAt(where, "must be a string, not %s", describe(t))
	}
	return fmt.Sprint(t), nil
}

// end checks nothing but white space follows the document.
func (j *jstream) end() error {
	if _, err := j.dec.Token(); err != io.EOF {
		if err == nil {
			return j.p.errAt("$", "data after the end of the document")
		}
		return j.fail("$", err)
	}
	return nil
}

// flexString reads a JSON string or number as a string (tools disagree).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("must be a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

// flexStrings reads a string or an array of strings (Nuclei's cve-id).
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s != "" {
			*f = flexStrings{s}
		}
		return nil
	}
	var ss []flexString
	if err := json.Unmarshal(b, &ss); err != nil {
		return fmt.Errorf("must be a string or an array of strings")
	}
	for _, s := range ss {
		*f = append(*f, string(s))
	}
	return nil
}

// flexFloat reads a number or a numeric string.
type flexFloat struct {
	v   float64
	set bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		return nil
	}
	if len(s) > 1 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("must be a number")
	}
	f.v, f.set = v, true
	return nil
}

func (f flexFloat) ptr() *float64 {
	if !f.set {
		return nil
	}
	v := f.v
	return &v
}

package hec

import (
	"bytes"
	"errors"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// Metadata is what an event says about itself besides its data. Per-event
// values in an envelope win over the request defaults given to the decoder
// (from the token or the query string).
type Metadata struct {
	Time       time.Time // zero when neither the event nor the request gave one
	Host       string
	Source     string
	SourceType string
	Index      string
}

// Field is one indexed field from the envelope's "fields" object: a string,
// or an array of strings (Values then has them all).
type Field struct {
	Name   string
	Values []string
}

// Event is one decoded HEC event.
type Event struct {
	Metadata
	// Text is the event when it was sent as a JSON string (and always for
	// /raw). JSON is nil then.
	Text string
	// JSON is the event when it was sent as a JSON object, array, number or
	// boolean, re-encoded compactly. Text is empty then.
	JSON   []byte
	Fields []Field
}

// Decoder decodes request bodies. Its zero value is ready; it reuses
// parser memory between calls and is not safe for concurrent use.
type Decoder struct {
	p fastjson.Parser
}

// decoders keeps Decoders (and the parser memory each one grows) for reuse
// by the package-level functions.
var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// DecodeEvents decodes a /services/collector/event body with a pooled
// Decoder. Safe for concurrent use.
func DecodeEvents(body []byte, defaults Metadata) ([]Event, error) {
	d := decoders.Get().(*Decoder)
	defer decoders.Put(d)
	return d.DecodeEvents(body, defaults)
}

// DecodeEvents decodes a /services/collector/event body: one or more JSON
// envelopes, concatenated with or without whitespace between them (a JSON
// array of envelopes is taken as its elements, as Splunk does).
//
// Like Splunk it stops at the first bad envelope and answers for the whole
// request; the error is then an *Error whose Event is that envelope's
// position and whose Response is Splunk's body. The events decoded before
// it are returned as well, so the caller may keep them.
func (d *Decoder) DecodeEvents(body []byte, defaults Metadata) ([]Event, error) {
	var out []Event
	var arena []byte
	pos := 0
	for {
		pos = skipSpace(body, pos)
		if pos == len(body) {
			break
		}
		end, err := valueEnd(body, pos)
		if err != nil {
			return out, eventError(CodeInvalidDataFormat, len(out), "byte %d: %v", pos, err)
		}
		// Validate first: fastjson's parser alone is lenient (00, 1., NaN).
		if err := fastjson.ValidateBytes(body[pos:end]); err != nil {
			return out, eventError(CodeInvalidDataFormat, len(out), "byte %d: %v", pos, err)
		}
		v, err := d.p.ParseBytes(body[pos:end])
		if err != nil {
			return out, eventError(CodeInvalidDataFormat, len(out), "byte %d: %v", pos, err)
		}
		start := pos
		pos = end
		if v.Type() == fastjson.TypeArray {
			items, _ := v.Array()
			for _, item := range items {
				ev, herr := decodeEnvelope(item, len(out), defaults, &arena, len(body)-start)
				if herr != nil {
					return out, herr
				}
				out = append(out, ev)
			}
			continue
		}
		ev, herr := decodeEnvelope(v, len(out), defaults, &arena, len(body)-start)
		if herr != nil {
			return out, herr
		}
		out = append(out, ev)
	}
	if len(out) == 0 {
		return nil, &Error{Code: CodeNoData, Event: -1, Detail: "empty body"}
	}
	return out, nil
}

func decodeEnvelope(v *fastjson.Value, n int, defaults Metadata, arena *[]byte, hint int) (Event, *Error) {
	ev := Event{Metadata: defaults}
	obj, err := v.Object()
	if err != nil {
		return ev, eventError(CodeInvalidDataFormat, n, "envelope is a JSON %s, not an object", v.Type())
	}
	e := obj.Get("event")
	if e == nil {
		return ev, eventError(CodeEventRequired, n, `no "event" key`)
	}
	switch e.Type() {
	case fastjson.TypeNull:
		return ev, eventError(CodeEventBlank, n, `"event" is null`)
	case fastjson.TypeString:
		s := e.GetStringBytes()
		if len(bytes.TrimSpace(s)) == 0 {
			return ev, eventError(CodeEventBlank, n, `"event" is a blank string`)
		}
		ev.Text = string(s)
	case fastjson.TypeObject:
		if o, _ := e.Object(); o.Len() == 0 {
			return ev, eventError(CodeEventBlank, n, `"event" is an empty object`)
		}
		ev.JSON = appendJSON(arena, e, hint)
	case fastjson.TypeArray:
		if a, _ := e.Array(); len(a) == 0 {
			return ev, eventError(CodeEventBlank, n, `"event" is an empty array`)
		}
		ev.JSON = appendJSON(arena, e, hint)
	default:
		ev.JSON = appendJSON(arena, e, hint)
	}
	if t := obj.Get("time"); t != nil && t.Type() != fastjson.TypeNull {
		ts, err := parseTimeValue(t)
		if err != nil {
			return ev, eventError(CodeIndexedFields, n, `"time": %v`, err)
		}
		ev.Time = ts
	}
	for _, m := range [...]struct {
		key string
		dst *string
	}{{"host", &ev.Host}, {"source", &ev.Source}, {"sourcetype", &ev.SourceType}, {"index", &ev.Index}} {
		mv := obj.Get(m.key)
		if mv == nil || mv.Type() == fastjson.TypeNull {
			continue
		}
		s, err := mv.StringBytes()
		if err != nil {
			return ev, eventError(CodeInvalidDataFormat, n, "%q is a JSON %s, not a string", m.key, mv.Type())
		}
		if len(s) > 0 {
			*m.dst = string(s)
		}
	}
	if f := obj.Get("fields"); f != nil && f.Type() != fastjson.TypeNull {
		fields, err := decodeFields(f)
		if err != nil {
			return ev, eventError(CodeIndexedFields, n, `"fields": %v`, err)
		}
		ev.Fields = fields
	}
	return ev, nil
}

// decodeFields reads "fields": an object whose values are strings or arrays
// of strings. Splunk rejects anything else with code 15.
func decodeFields(f *fastjson.Value) ([]Field, error) {
	o, err := f.Object()
	if err != nil {
		return nil, errors.New("not an object")
	}
	var out []Field
	var ferr error
	o.Visit(func(k []byte, v *fastjson.Value) {
		if ferr != nil {
			return
		}
		fd := Field{Name: string(k)}
		switch v.Type() {
		case fastjson.TypeString:
			fd.Values = []string{string(v.GetStringBytes())}
		case fastjson.TypeArray:
			items, _ := v.Array()
			fd.Values = make([]string, 0, len(items))
			for _, it := range items {
				s, err := it.StringBytes()
				if err != nil {
					ferr = errors.New("field " + string(k) + " holds a non-string array item")
					return
				}
				fd.Values = append(fd.Values, string(s))
			}
		default:
			ferr = errors.New("field " + string(k) + " is a " + v.Type().String() + ", not a string or array of strings")
			return
		}
		out = append(out, fd)
	})
	return out, ferr
}

// appendJSON re-encodes v at the end of the arena and returns that part. The
// arena keeps one backing array for many events; a returned slice has its
// capacity capped so appending to it cannot overwrite a neighbour.
func appendJSON(arena *[]byte, v *fastjson.Value, arenaHint int) []byte {
	if *arena == nil {
		// One backing array near the body's size serves the whole request.
		*arena = make([]byte, 0, arenaHint)
	}
	start := len(*arena)
	*arena = jsonw.AppendValue(*arena, v)
	return (*arena)[start:len(*arena):len(*arena)]
}

func skipSpace(b []byte, pos int) int {
	for pos < len(b) {
		switch b[pos] {
		case ' ', '\t', '\n', '\r':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// valueEnd returns the end of the JSON object or array starting at pos,
// found by counting brackets outside strings. It does not validate; the
// parser does that on the slice.
func valueEnd(b []byte, pos int) (int, error) {
	if b[pos] != '{' && b[pos] != '[' {
		return 0, errors.New("expected '{' starting an event")
	}
	depth := 0
	for i := pos; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return 0, errors.New("unterminated string")
			}
		}
	}
	return 0, errors.New("unexpected end of body inside an event")
}

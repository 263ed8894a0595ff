package sigma

import (
	"strconv"
	"strings"
)

// ValueKind is the JSON type of a field value.
type ValueKind uint8

// Value kinds.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
	KindNull
	KindObject // a nested object: present, but has no text
)

// Value is one value of an event field. Text holds the string, the number
// as written, or "true"/"false".
type Value struct {
	Kind ValueKind
	Text string
}

// Event is a log record seen by the matcher. JSON events are best matched
// with Matcher.MatchJSON, which reads the raw bytes lazily; Event lets a
// caller supply fields from any other source.
type Event interface {
	// Lookup appends the values of the named field to dst (one per element
	// when the field is an array) and reports whether the field exists.
	Lookup(name string, dst []Value) ([]Value, bool)
	// Values calls fn for every leaf value of the event, for keyword
	// searches.
	Values(fn func(Value))
}

// MapEvent is an Event over decoded JSON (map[string]any with string,
// float64, json.Number, bool, nil, []any and map[string]any values). A
// dotted name that is not a key resolves into nested objects.
type MapEvent map[string]any

// Lookup implements Event.
func (e MapEvent) Lookup(name string, dst []Value) ([]Value, bool) {
	v, ok := e[name]
	if !ok {
		// Sigma field names drop the spaces of event field names.
		for k, kv := range e {
			if strings.Contains(k, " ") && strings.ReplaceAll(k, " ", "") == name {
				v, ok = kv, true
				break
			}
		}
	}
	if !ok && strings.Contains(name, ".") {
		v, ok = nestedLookup(map[string]any(e), name)
	}
	if !ok {
		return dst, false
	}
	return appendAnyValues(dst, v, true), true
}

func nestedLookup(m map[string]any, name string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func appendAnyValues(dst []Value, v any, top bool) []Value {
	switch x := v.(type) {
	case nil:
		return append(dst, Value{Kind: KindNull})
	case string:
		return append(dst, Value{Kind: KindString, Text: x})
	case bool:
		return append(dst, Value{Kind: KindBool, Text: strconv.FormatBool(x)})
	case float64:
		return append(dst, Value{Kind: KindNumber, Text: strconv.FormatFloat(x, 'f', -1, 64)})
	case int:
		return append(dst, Value{Kind: KindNumber, Text: strconv.Itoa(x)})
	case int64:
		return append(dst, Value{Kind: KindNumber, Text: strconv.FormatInt(x, 10)})
	case interface{ String() string }: // json.Number
		return append(dst, Value{Kind: KindNumber, Text: x.String()})
	case []any:
		if !top {
			return append(dst, Value{Kind: KindObject})
		}
		for _, el := range x {
			dst = appendAnyValues(dst, el, false)
		}
		return dst
	default:
		return append(dst, Value{Kind: KindObject})
	}
}

// Values implements Event.
func (e MapEvent) Values(fn func(Value)) { walkAny(map[string]any(e), fn) }

func walkAny(v any, fn func(Value)) {
	switch x := v.(type) {
	case map[string]any:
		for _, el := range x {
			walkAny(el, fn)
		}
	case []any:
		for _, el := range x {
			walkAny(el, fn)
		}
	default:
		for _, val := range appendAnyValues(nil, v, false) {
			if val.Kind != KindObject {
				fn(val)
			}
		}
	}
}

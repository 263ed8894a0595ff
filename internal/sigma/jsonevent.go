package sigma

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

type jsonEvent struct {
	obj *fastjson.Object
}

// JSONEvent parses one JSON object into an Event, for Matcher.Match and
// Correlator.Observe. To match JSON, Matcher.MatchJSON is faster: it
// reuses its parser and reads only the fields the rules need.
func JSONEvent(raw []byte) (Event, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("sigma: event: %w", err)
	}
	obj, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("sigma: event: %w", err)
	}
	return &jsonEvent{obj: obj}, nil
}

func (e *jsonEvent) Lookup(name string, dst []Value) ([]Value, bool) {
	v := e.obj.Get(name)
	if v == nil {
		e.obj.Visit(func(k []byte, kv *fastjson.Value) {
			if v == nil && strings.Contains(string(k), " ") && strings.ReplaceAll(string(k), " ", "") == name {
				v = kv
			}
		})
	}
	if v == nil && strings.Contains(name, ".") {
		parts := strings.Split(name, ".")
		v = e.obj.Get(parts[0])
		if v != nil && len(parts) > 1 {
			v = v.Get(parts[1:]...)
		}
	}
	if v == nil {
		return dst, false
	}
	return appendFastjson(dst, v, true), true
}

func appendFastjson(dst []Value, v *fastjson.Value, top bool) []Value {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return append(dst, Value{Kind: KindString, Text: string(b)})
	case fastjson.TypeNumber:
		return append(dst, Value{Kind: KindNumber, Text: string(v.MarshalTo(nil))})
	case fastjson.TypeTrue:
		return append(dst, Value{Kind: KindBool, Text: "true"})
	case fastjson.TypeFalse:
		return append(dst, Value{Kind: KindBool, Text: "false"})
	case fastjson.TypeNull:
		return append(dst, Value{Kind: KindNull})
	case fastjson.TypeArray:
		if !top {
			return append(dst, Value{Kind: KindObject})
		}
		arr, _ := v.Array()
		for _, el := range arr {
			dst = appendFastjson(dst, el, false)
		}
		return dst
	}
	return append(dst, Value{Kind: KindObject})
}

func (e *jsonEvent) Values(fn func(Value)) { walkFastjson(e.obj, fn) }

func walkFastjson(o *fastjson.Object, fn func(Value)) {
	o.Visit(func(_ []byte, v *fastjson.Value) { walkFastjsonValue(v, fn) })
}

func walkFastjsonValue(v *fastjson.Value, fn func(Value)) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		walkFastjson(o, fn)
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, el := range arr {
			walkFastjsonValue(el, fn)
		}
	case fastjson.TypeNull:
	default:
		for _, x := range appendFastjson(nil, v, false) {
			fn(x)
		}
	}
}

package otlp

import (
	"encoding/base64"
	"math"
	"strconv"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// appendAttributes writes key/value pairs as one JSON object. Keys repeat
// as the sender repeated them.
func appendAttributes(dst []byte, kvs []*commonv1.KeyValue) []byte {
	dst = append(dst, '{')
	for i, kv := range kvs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonw.AppendString(dst, kv.GetKey())
		dst = append(dst, ':')
		dst = appendAnyValue(dst, kv.GetValue())
	}
	return append(dst, '}')
}

// appendAnyValue writes an AnyValue as plain JSON: strings, numbers and
// booleans as themselves, arrays as arrays, kvlists as objects, bytes as a
// base64 string, non-finite doubles as the strings "NaN", "Infinity" and
// "-Infinity", and an empty value as null.
func appendAnyValue(dst []byte, v *commonv1.AnyValue) []byte {
	switch x := v.GetValue().(type) {
	case *commonv1.AnyValue_StringValue:
		return jsonw.AppendString(dst, x.StringValue)
	case *commonv1.AnyValue_BoolValue:
		return strconv.AppendBool(dst, x.BoolValue)
	case *commonv1.AnyValue_IntValue:
		return strconv.AppendInt(dst, x.IntValue, 10)
	case *commonv1.AnyValue_DoubleValue:
		return appendDouble(dst, x.DoubleValue)
	case *commonv1.AnyValue_BytesValue:
		return appendBase64(dst, x.BytesValue)
	case *commonv1.AnyValue_ArrayValue:
		dst = append(dst, '[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendAnyValue(dst, e)
		}
		return append(dst, ']')
	case *commonv1.AnyValue_KvlistValue:
		return appendAttributes(dst, x.KvlistValue.GetValues())
	}
	return append(dst, "null"...)
}

// appendDouble writes f as a JSON number, or as the string "NaN",
// "Infinity" or "-Infinity", which JSON numbers cannot express.
func appendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendBase64 writes b as a standard base64 JSON string.
func appendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

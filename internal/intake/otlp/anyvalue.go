package otlp

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
)

// appendAttributes writes key/value pairs as one JSON object. Keys repeat
// as the sender repeated them.
func appendAttributes(dst []byte, kvs []*commonv1.KeyValue) []byte {
	dst = append(dst, '{')
	for i, kv := range kvs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, kv.GetKey())
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
		return appendJSONString(dst, x.StringValue)
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

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

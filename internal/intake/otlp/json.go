package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/valyala/fastjson"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
)

// parsers keeps fastjson parsers (and the value cache each one grows) for
// reuse across requests.
var parsers fastjson.ParserPool

// DecodeJSON decodes an OTLP/JSON ExportLogsServiceRequest
// (Content-Type: application/json). A body that is not JSON, or whose
// resourceLogs/scopeLogs/logRecords are not arrays of objects, is an error
// for the whole request; a log record with a bad field (a trace id that is
// not 16 bytes of hex, an attribute value of the wrong type…) is refused
// alone and listed in Batch.Rejected.
func DecodeJSON(body []byte) (*Batch, error) {
	// Validate first: fastjson's parser alone takes 00, 1. and NaN.
	if err := fastjson.ValidateBytes(body); err != nil {
		return nil, fmt.Errorf("otlp: decoding JSON ExportLogsServiceRequest: %w", err)
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("otlp: decoding JSON ExportLogsServiceRequest: %w", err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("otlp: JSON ExportLogsServiceRequest is a %s, not an object", v.Type())
	}
	rlsV, err := array(v, "resourceLogs", "resource_logs")
	if err != nil {
		return nil, err
	}
	var rejected []Rejection
	n := 0
	rls := make([]*logsv1.ResourceLogs, 0, len(rlsV))
	for i, rlV := range rlsV {
		if rlV.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("otlp: resourceLogs[%d] is a %s, not an object", i, rlV.Type())
		}
		rl := &logsv1.ResourceLogs{}
		if rv := field(rlV, "resource"); rv != nil && rv.Type() == fastjson.TypeObject {
			attrs, err := keyValues(field(rv, "attributes"))
			if err != nil {
				return nil, fmt.Errorf("otlp: resourceLogs[%d].resource.attributes: %w", i, err)
			}
			rl.Resource = &resourcev1.Resource{Attributes: attrs}
		}
		slsV, err := array(rlV, "scopeLogs", "scope_logs")
		if err != nil {
			return nil, fmt.Errorf("otlp: resourceLogs[%d]: %w", i, err)
		}
		for j, slV := range slsV {
			if slV.Type() != fastjson.TypeObject {
				return nil, fmt.Errorf("otlp: resourceLogs[%d].scopeLogs[%d] is a %s, not an object", i, j, slV.Type())
			}
			sl := &logsv1.ScopeLogs{}
			if sv := field(slV, "scope"); sv != nil && sv.Type() == fastjson.TypeObject {
				sl.Scope = &commonv1.InstrumentationScope{
					Name:    str(field(sv, "name")),
					Version: str(field(sv, "version")),
				}
			}
			lrsV, err := array(slV, "logRecords", "log_records")
			if err != nil {
				return nil, fmt.Errorf("otlp: resourceLogs[%d].scopeLogs[%d]: %w", i, j, err)
			}
			sl.LogRecords = make([]*logsv1.LogRecord, len(lrsV))
			for k, lrV := range lrsV {
				lr, err := logRecord(lrV)
				if err != nil {
					rejected = append(rejected, Rejection{Index: n, Reason: err.Error()})
				} else {
					sl.LogRecords[k] = lr
				}
				n++
			}
			rl.ScopeLogs = append(rl.ScopeLogs, sl)
		}
		rls = append(rls, rl)
	}
	return flatten(rls, rejected), nil
}

// field returns the value under the lowerCamelCase key OTLP/JSON uses, or
// under the proto field name, which some senders use.
func field(v *fastjson.Value, camel string, snake ...string) *fastjson.Value {
	if f := v.Get(camel); f != nil {
		return f
	}
	for _, s := range snake {
		if f := v.Get(s); f != nil {
			return f
		}
	}
	return nil
}

// array returns the array under a key; absent or null is an empty array.
func array(v *fastjson.Value, camel, snake string) ([]*fastjson.Value, error) {
	f := field(v, camel, snake)
	if f == nil || f.Type() == fastjson.TypeNull {
		return nil, nil
	}
	a, err := f.Array()
	if err != nil {
		return nil, fmt.Errorf("otlp: %s is a %s, not an array", camel, f.Type())
	}
	return a, nil
}

func str(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	return string(v.GetStringBytes())
}

func logRecord(v *fastjson.Value) (*logsv1.LogRecord, error) {
	if v.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("log record is a %s, not an object", v.Type())
	}
	lr := &logsv1.LogRecord{}
	var err error
	if lr.TimeUnixNano, err = uint64Field(field(v, "timeUnixNano", "time_unix_nano")); err != nil {
		return nil, fmt.Errorf("timeUnixNano: %w", err)
	}
	if lr.ObservedTimeUnixNano, err = uint64Field(field(v, "observedTimeUnixNano", "observed_time_unix_nano")); err != nil {
		return nil, fmt.Errorf("observedTimeUnixNano: %w", err)
	}
	sev, err := severity(field(v, "severityNumber", "severity_number"))
	if err != nil {
		return nil, fmt.Errorf("severityNumber: %w", err)
	}
	lr.SeverityNumber = sev
	lr.SeverityText = str(field(v, "severityText", "severity_text"))
	lr.EventName = str(field(v, "eventName", "event_name"))
	flags, err := uint64Field(field(v, "flags"))
	if err != nil || flags > math.MaxUint32 {
		return nil, errors.New("flags: not a 32-bit unsigned integer")
	}
	lr.Flags = uint32(flags)
	dropped, err := uint64Field(field(v, "droppedAttributesCount", "dropped_attributes_count"))
	if err != nil || dropped > math.MaxUint32 {
		return nil, errors.New("droppedAttributesCount: not a 32-bit unsigned integer")
	}
	lr.DroppedAttributesCount = uint32(dropped)
	if lr.TraceId, err = id(field(v, "traceId", "trace_id"), 16); err != nil {
		return nil, fmt.Errorf("traceId: %w", err)
	}
	if lr.SpanId, err = id(field(v, "spanId", "span_id"), 8); err != nil {
		return nil, fmt.Errorf("spanId: %w", err)
	}
	if b := field(v, "body"); b != nil && b.Type() != fastjson.TypeNull {
		if lr.Body, err = anyValue(b, 0); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
	}
	if lr.Attributes, err = keyValues(field(v, "attributes")); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	return lr, nil
}

// uint64Field reads a (u)int64 written as a decimal string or as a number.
func uint64Field(v *fastjson.Value) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return 0, nil
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		if s == "" {
			return 0, nil
		}
		return strconv.ParseUint(s, 10, 64)
	case fastjson.TypeNumber:
		if u, err := v.Uint64(); err == nil {
			return u, nil
		}
		f, err := v.Float64()
		if err != nil || f < 0 || f != math.Trunc(f) || f >= 1<<64 {
			return 0, errors.New("not an unsigned integer")
		}
		return uint64(f), nil
	}
	return 0, fmt.Errorf("a %s, not an integer", v.Type())
}

func int64Value(v *fastjson.Value) (int64, error) {
	switch v.Type() {
	case fastjson.TypeString:
		return strconv.ParseInt(string(v.GetStringBytes()), 10, 64)
	case fastjson.TypeNumber:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		f, err := v.Float64()
		if err != nil || f != math.Trunc(f) || f >= 1<<63 || f < -(1<<63) {
			return 0, errors.New("not an integer")
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("a %s, not an integer", v.Type())
}

// severity reads the SeverityNumber enum as a number or by name.
func severity(v *fastjson.Value) (logsv1.SeverityNumber, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0, nil
	}
	if v.Type() == fastjson.TypeString {
		name := string(v.GetStringBytes())
		if n, ok := logsv1.SeverityNumber_value[name]; ok {
			return logsv1.SeverityNumber(n), nil
		}
	}
	n, err := int64Value(v)
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errors.New("not a severity number or name")
	}
	return logsv1.SeverityNumber(n), nil
}

// id reads a trace or span id: hex as OTLP/JSON says, or base64 as the
// proto3 JSON mapping (and so some exporters) writes it.
func id(v *fastjson.Value, size int) ([]byte, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	s, err := v.StringBytes()
	if err != nil {
		return nil, fmt.Errorf("a %s, not a string", v.Type())
	}
	switch len(s) {
	case 0:
		return nil, nil
	case 2 * size:
		b := make([]byte, size)
		if _, err := hex.Decode(b, s); err != nil {
			return nil, fmt.Errorf("%q is not hex", s)
		}
		return b, nil
	case base64.StdEncoding.EncodedLen(size), base64.RawStdEncoding.EncodedLen(size):
		b, err := base64.StdEncoding.DecodeString(string(s))
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(string(s))
		}
		if err == nil && len(b) == size {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%q is not %d bytes of hex", s, size)
}

func keyValues(v *fastjson.Value) ([]*commonv1.KeyValue, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	a, err := v.Array()
	if err != nil {
		return nil, fmt.Errorf("a %s, not an array", v.Type())
	}
	out := make([]*commonv1.KeyValue, 0, len(a))
	for i, kv := range a {
		if kv.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("[%d] is a %s, not an object", i, kv.Type())
		}
		k := &commonv1.KeyValue{Key: str(kv.Get("key"))}
		if val := kv.Get("value"); val != nil && val.Type() != fastjson.TypeNull {
			av, err := anyValue(val, 0)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k.Key, err)
			}
			k.Value = av
		}
		out = append(out, k)
	}
	return out, nil
}

const maxDepth = 64

// anyValue reads an AnyValue object ({"stringValue":…}, {"intValue":"5"},
// {"kvlistValue":{"values":[…]}} …). An empty object is an empty value.
func anyValue(v *fastjson.Value, depth int) (*commonv1.AnyValue, error) {
	if depth > maxDepth {
		return nil, errors.New("values nested too deep")
	}
	o, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("a %s, not an AnyValue object", v.Type())
	}
	var out *commonv1.AnyValue
	var ferr error
	o.Visit(func(k []byte, f *fastjson.Value) {
		if out != nil || ferr != nil || f.Type() == fastjson.TypeNull {
			return
		}
		av := &commonv1.AnyValue{}
		switch string(k) {
		case "stringValue", "string_value":
			s, err := f.StringBytes()
			if err != nil {
				ferr = errors.New("stringValue is not a string")
				return
			}
			av.Value = &commonv1.AnyValue_StringValue{StringValue: string(s)}
		case "boolValue", "bool_value":
			b, err := f.Bool()
			if err != nil {
				ferr = errors.New("boolValue is not a boolean")
				return
			}
			av.Value = &commonv1.AnyValue_BoolValue{BoolValue: b}
		case "intValue", "int_value":
			n, err := int64Value(f)
			if err != nil {
				ferr = fmt.Errorf("intValue: %w", err)
				return
			}
			av.Value = &commonv1.AnyValue_IntValue{IntValue: n}
		case "doubleValue", "double_value":
			d, err := double(f)
			if err != nil {
				ferr = err
				return
			}
			av.Value = &commonv1.AnyValue_DoubleValue{DoubleValue: d}
		case "bytesValue", "bytes_value":
			s, err := f.StringBytes()
			if err == nil {
				var b []byte
				if b, err = base64.StdEncoding.DecodeString(string(s)); err != nil {
					b, err = base64.RawURLEncoding.DecodeString(string(s))
				}
				av.Value = &commonv1.AnyValue_BytesValue{BytesValue: b}
			}
			if err != nil {
				ferr = errors.New("bytesValue is not base64")
				return
			}
		case "arrayValue", "array_value":
			vals, err := nested(f)
			if err != nil {
				ferr = err
				return
			}
			arr := &commonv1.ArrayValue{Values: make([]*commonv1.AnyValue, 0, len(vals))}
			for _, e := range vals {
				ev, err := anyValue(e, depth+1)
				if err != nil {
					ferr = err
					return
				}
				arr.Values = append(arr.Values, ev)
			}
			av.Value = &commonv1.AnyValue_ArrayValue{ArrayValue: arr}
		case "kvlistValue", "kvlist_value":
			vals, err := nested(f)
			if err != nil {
				ferr = err
				return
			}
			kvl := &commonv1.KeyValueList{Values: make([]*commonv1.KeyValue, 0, len(vals))}
			for _, e := range vals {
				if e.Type() != fastjson.TypeObject {
					ferr = errors.New("kvlistValue entry is not an object")
					return
				}
				kv := &commonv1.KeyValue{Key: str(e.Get("key"))}
				if val := e.Get("value"); val != nil && val.Type() != fastjson.TypeNull {
					if kv.Value, err = anyValue(val, depth+1); err != nil {
						ferr = err
						return
					}
				}
				kvl.Values = append(kvl.Values, kv)
			}
			av.Value = &commonv1.AnyValue_KvlistValue{KvlistValue: kvl}
		default:
			return // unknown keys are ignored, as the proto JSON mapping allows
		}
		out = av
	})
	if ferr != nil {
		return nil, ferr
	}
	if out == nil {
		out = &commonv1.AnyValue{}
	}
	return out, nil
}

// nested returns the "values" array of an arrayValue or kvlistValue.
func nested(f *fastjson.Value) ([]*fastjson.Value, error) {
	if f.Type() != fastjson.TypeObject {
		return nil, errors.New("arrayValue/kvlistValue is not an object")
	}
	vals := f.Get("values")
	if vals == nil || vals.Type() == fastjson.TypeNull {
		return nil, nil
	}
	a, err := vals.Array()
	if err != nil {
		return nil, errors.New("values is not an array")
	}
	return a, nil
}

func double(f *fastjson.Value) (float64, error) {
	switch f.Type() {
	case fastjson.TypeNumber:
		return f.Float64()
	case fastjson.TypeString:
		switch s := string(f.GetStringBytes()); s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		default:
			d, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, errors.New("doubleValue is not a number")
			}
			return d, nil
		}
	}
	return 0, errors.New("doubleValue is not a number")
}

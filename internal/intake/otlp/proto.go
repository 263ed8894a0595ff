package otlp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// Field numbers of the OTLP logs protos (opentelemetry/proto/logs/v1,
// common/v1, resource/v1).
const (
	fRequestResourceLogs = 1

	fResourceLogsResource  = 1
	fResourceLogsScopeLogs = 2

	fResourceAttributes = 1

	fScopeLogsScope      = 1
	fScopeLogsLogRecords = 2

	fScopeName    = 1
	fScopeVersion = 2

	fRecTime           = 1
	fRecSeverityNumber = 2
	fRecSeverityText   = 3
	fRecBody           = 5
	fRecAttributes     = 6
	fRecDropped        = 7
	fRecFlags          = 8
	fRecTraceID        = 9
	fRecSpanID         = 10
	fRecObservedTime   = 11
	fRecEventName      = 12

	fKVKey   = 1
	fKVValue = 2

	fAnyString = 1
	fAnyBool   = 2
	fAnyInt    = 3
	fAnyDouble = 4
	fAnyArray  = 5
	fAnyKVList = 6
	fAnyBytes  = 7

	fListValues = 1 // ArrayValue.values and KeyValueList.values
)

// maxNesting bounds AnyValue nesting, as protobuf's own decoder does.
const maxNesting = 10000

var errMalformed = errors.New("malformed protobuf")

// DecodeProto decodes a protobuf ExportLogsServiceRequest
// (Content-Type: application/x-protobuf) straight into records, without
// building the generated message tree, so memory stays near the size of
// the input. Bytes that are not protobuf at the request, resource or scope
// level are an error for the whole request (HTTP 400). A log record that
// is malformed inside, or has a trace id other than 16 bytes or a span id
// other than 8, is refused alone (see Batch.Rejected). Unknown fields, and
// known fields of an unexpected wire type, are skipped as protobuf does.
func DecodeProto(body []byte) (*Batch, error) {
	d := protoDecoder{b: &Batch{}}
	err := eachField(body, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == fRequestResourceLogs && typ == protowire.BytesType {
			return d.resourceLogs(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("otlp: decoding protobuf ExportLogsServiceRequest: %w", err)
	}
	return d.b, nil
}

type protoDecoder struct {
	b     *Batch
	n     int    // log records seen, for rejection positions
	arena []byte // JSON of attributes, shared backing store
}

// eachField calls fn for each field of the message m. For the bytes wire
// type v holds the payload; for varint, fixed32 and fixed64 x holds the
// number.
func eachField(m []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(m) > 0 {
		num, typ, n := protowire.ConsumeTag(m)
		if n < 0 {
			return errMalformed
		}
		m = m[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(m)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(m)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(m)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(m)
			x = uint64(x32)
		default:
			n = protowire.ConsumeFieldValue(num, typ, m)
		}
		if n < 0 {
			return errMalformed
		}
		m = m[n:]
		if typ == protowire.StartGroupType || typ == protowire.EndGroupType {
			continue
		}
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func (d *protoDecoder) resourceLogs(m []byte) error {
	// Fields may come in any order: find the resource first.
	var scopes [][]byte
	var resource []byte
	var service, host string
	hasAttrs := false
	err := eachField(m, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fResourceLogsScopeLogs:
			scopes = append(scopes, v)
		case fResourceLogsResource:
			// Repeated occurrences of a message field merge: attributes add up.
			return eachField(v, func(num protowire.Number, typ protowire.Type, kv []byte, _ uint64) error {
				if num != fResourceAttributes || typ != protowire.BytesType {
					return nil
				}
				if !hasAttrs {
					resource = append(resource, '{')
				} else {
					resource = append(resource, ',')
				}
				hasAttrs = true
				key, str, isStr, out, err := appendKeyValue(resource, kv, 0)
				if err != nil {
					return err
				}
				resource = out
				if isStr && key == "service.name" && service == "" {
					service = str
				}
				if isStr && key == "host.name" && host == "" {
					host = str
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if hasAttrs {
		resource = append(resource, '}')
	}
	for _, sl := range scopes {
		if err := d.scopeLogs(sl, resource, service, host); err != nil {
			return err
		}
	}
	return nil
}

func (d *protoDecoder) scopeLogs(m []byte, resource []byte, service, host string) error {
	var records [][]byte
	var name, version string
	err := eachField(m, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fScopeLogsLogRecords:
			records = append(records, v)
		case fScopeLogsScope:
			return eachField(v, func(num protowire.Number, typ protowire.Type, s []byte, _ uint64) error {
				if typ == protowire.BytesType && num == fScopeName {
					name = string(s)
				} else if typ == protowire.BytesType && num == fScopeVersion {
					version = string(s)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.b.Records = slices.Grow(d.b.Records, len(records))
	for _, r := range records {
		idx := d.n
		d.n++
		rec, err := d.record(r)
		if err != nil {
			d.b.Rejected = append(d.b.Rejected, Rejection{Index: idx, Reason: err.Error()})
			continue
		}
		rec.Resource, rec.ServiceName, rec.HostName = resource, service, host
		rec.ScopeName, rec.ScopeVersion = name, version
		d.b.Records = append(d.b.Records, rec)
	}
	return nil
}

func (d *protoDecoder) record(m []byte) (Record, error) {
	var rec Record
	var traceID, spanID, body []byte
	hasBody := false
	start := len(d.arena)
	attrs := 0
	err := eachField(m, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == fRecTime && typ == protowire.Fixed64Type:
			rec.Time = unixNano(x)
		case num == fRecObservedTime && typ == protowire.Fixed64Type:
			rec.ObservedTime = unixNano(x)
		case num == fRecSeverityNumber && typ == protowire.VarintType:
			rec.SeverityNumber = int32(x)
		case num == fRecSeverityText && typ == protowire.BytesType:
			rec.SeverityText = string(v)
		case num == fRecBody && typ == protowire.BytesType:
			body, hasBody = v, true
		case num == fRecAttributes && typ == protowire.BytesType:
			if attrs == 0 {
				d.arena = append(d.arena, '{')
			} else {
				d.arena = append(d.arena, ',')
			}
			attrs++
			_, _, _, out, err := appendKeyValue(d.arena, v, 0)
			d.arena = out
			return err
		case num == fRecDropped && typ == protowire.VarintType:
			rec.DroppedAttributesCount = uint32(x)
		case num == fRecFlags && typ == protowire.Fixed32Type:
			rec.Flags = uint32(x)
		case num == fRecTraceID && typ == protowire.BytesType:
			traceID = v
		case num == fRecSpanID && typ == protowire.BytesType:
			spanID = v
		case num == fRecEventName && typ == protowire.BytesType:
			rec.EventName = string(v)
		}
		return nil
	})
	if err != nil {
		d.arena = d.arena[:start]
		return rec, err
	}
	if attrs > 0 {
		d.arena = append(d.arena, '}')
		rec.Attributes = d.arena[start:len(d.arena):len(d.arena)]
	}
	if rec.Time.IsZero() {
		rec.Time = rec.ObservedTime
	}
	switch len(traceID) {
	case 0:
	case 16:
		rec.TraceID = hex.EncodeToString(traceID)
	default:
		return rec, fmt.Errorf("trace_id has %d bytes, want 16", len(traceID))
	}
	switch len(spanID) {
	case 0:
	case 8:
		rec.SpanID = hex.EncodeToString(spanID)
	default:
		return rec, fmt.Errorf("span_id has %d bytes, want 8", len(spanID))
	}
	if hasBody {
		kind, s, err := lastAnyValue(body)
		if err != nil {
			return rec, err
		}
		switch kind {
		case 0:
		case fAnyString:
			rec.Body = string(s)
		default:
			js, err := appendAnyValueProto(nil, body, 0)
			if err != nil {
				return rec, err
			}
			rec.Body, rec.BodyJSON = string(js), true
		}
	}
	return rec, nil
}

// lastAnyValue returns which member of an AnyValue's oneof is set (the last
// one on the wire wins; 0 when none is) and, for a string, its bytes.
func lastAnyValue(m []byte) (protowire.Number, []byte, error) {
	var kind protowire.Number
	var s []byte
	err := eachField(m, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if want, ok := anyWireType(num); ok && typ == want {
			kind, s = num, v
		}
		return nil
	})
	return kind, s, err
}

// anyWireType returns the wire type of an AnyValue oneof member. Field 8
// (string_value_strindex, used only by profiles) counts as a member that
// has no JSON form.
func anyWireType(num protowire.Number) (protowire.Type, bool) {
	switch num {
	case fAnyString, fAnyArray, fAnyKVList, fAnyBytes:
		return protowire.BytesType, true
	case fAnyBool, fAnyInt, 8:
		return protowire.VarintType, true
	case fAnyDouble:
		return protowire.Fixed64Type, true
	}
	return 0, false
}

// appendKeyValue writes a KeyValue message as "key":value and returns the
// key and, when the value is a string, that string.
func appendKeyValue(dst []byte, m []byte, depth int) (key, str string, isStr bool, out []byte, err error) {
	var value []byte
	hasValue := false
	err = eachField(m, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fKVKey:
			key = string(v)
		case fKVValue:
			value, hasValue = v, true
		}
		return nil
	})
	if err != nil {
		return "", "", false, dst, err
	}
	dst = jsonw.AppendString(dst, key)
	dst = append(dst, ':')
	if !hasValue {
		return key, "", false, append(dst, "null"...), nil
	}
	kind, s, err := lastAnyValue(value)
	if err != nil {
		return "", "", false, dst, err
	}
	if kind == fAnyString {
		return key, string(s), true, jsonw.AppendString(dst, string(s)), nil
	}
	dst, err = appendAnyValueProto(dst, value, depth)
	return key, "", false, dst, err
}

// appendAnyValueProto writes an encoded AnyValue as JSON, with the same
// mapping as appendAnyValue.
func appendAnyValueProto(dst []byte, m []byte, depth int) ([]byte, error) {
	if depth > maxNesting {
		return dst, errors.New("values nested too deep")
	}
	var kind protowire.Number
	var v []byte
	var x uint64
	err := eachField(m, func(num protowire.Number, typ protowire.Type, fv []byte, fx uint64) error {
		if want, ok := anyWireType(num); ok && typ == want {
			kind, v, x = num, fv, fx
		}
		return nil
	})
	if err != nil {
		return dst, err
	}
	switch kind {
	case fAnyString:
		return jsonw.AppendString(dst, string(v)), nil
	case fAnyBool:
		return strconv.AppendBool(dst, x != 0), nil
	case fAnyInt:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case fAnyDouble:
		return appendDouble(dst, math.Float64frombits(x)), nil
	case fAnyBytes:
		return appendBase64(dst, v), nil
	case fAnyArray:
		dst = append(dst, '[')
		first := true
		err := eachField(v, func(num protowire.Number, typ protowire.Type, e []byte, _ uint64) error {
			if num != fListValues || typ != protowire.BytesType {
				return nil
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			var err error
			dst, err = appendAnyValueProto(dst, e, depth+1)
			return err
		})
		return append(dst, ']'), err
	case fAnyKVList:
		dst = append(dst, '{')
		first := true
		err := eachField(v, func(num protowire.Number, typ protowire.Type, kv []byte, _ uint64) error {
			if num != fListValues || typ != protowire.BytesType {
				return nil
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			var err error
			_, _, _, dst, err = appendKeyValue(dst, kv, depth+1)
			return err
		})
		return append(dst, '}'), err
	}
	return append(dst, "null"...), nil
}

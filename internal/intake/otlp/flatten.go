package otlp

import (
	"encoding/hex"
	"fmt"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
)

// flatten turns decoded resource logs into records. rejected lists, by
// position, records already refused while decoding (JSON); they are nil in
// the input and skipped here. Records with bad trace or span ids are
// refused here.
func flatten(rls []*logsv1.ResourceLogs, rejected []Rejection) *Batch {
	b := &Batch{Rejected: rejected}
	n := 0
	for _, rl := range rls {
		if rl == nil {
			continue
		}
		var res []byte
		var service, host string
		if r := rl.GetResource(); r != nil && len(r.Attributes) > 0 {
			res = appendAttributes(nil, r.Attributes)
			service = stringAttr(r.Attributes, "service.name")
			host = stringAttr(r.Attributes, "host.name")
		}
		for _, sl := range rl.GetScopeLogs() {
			if sl == nil {
				continue
			}
			scope := sl.GetScope()
			for _, lr := range sl.GetLogRecords() {
				idx := n
				n++
				if lr == nil {
					continue // refused while decoding
				}
				rec, err := record(lr)
				if err != nil {
					b.Rejected = append(b.Rejected, Rejection{Index: idx, Reason: err.Error()})
					continue
				}
				rec.Resource, rec.ServiceName, rec.HostName = res, service, host
				rec.ScopeName, rec.ScopeVersion = scope.GetName(), scope.GetVersion()
				b.Records = append(b.Records, rec)
			}
		}
	}
	sortRejections(b.Rejected)
	return b
}

func record(lr *logsv1.LogRecord) (Record, error) {
	rec := Record{
		Time:                   unixNano(lr.TimeUnixNano),
		ObservedTime:           unixNano(lr.ObservedTimeUnixNano),
		SeverityNumber:         int32(lr.SeverityNumber),
		SeverityText:           lr.SeverityText,
		Flags:                  lr.Flags,
		EventName:              lr.EventName,
		DroppedAttributesCount: lr.DroppedAttributesCount,
	}
	if rec.Time.IsZero() {
		rec.Time = rec.ObservedTime
	}
	switch len(lr.TraceId) {
	case 0:
	case 16:
		rec.TraceID = hex.EncodeToString(lr.TraceId)
	default:
		return rec, fmt.Errorf("trace_id has %d bytes, want 16", len(lr.TraceId))
	}
	switch len(lr.SpanId) {
	case 0:
	case 8:
		rec.SpanID = hex.EncodeToString(lr.SpanId)
	default:
		return rec, fmt.Errorf("span_id has %d bytes, want 8", len(lr.SpanId))
	}
	if body := lr.Body; body != nil && body.Value != nil {
		if s, ok := body.Value.(*commonv1.AnyValue_StringValue); ok {
			rec.Body = s.StringValue
		} else {
			rec.Body, rec.BodyJSON = string(appendAnyValue(nil, body)), true
		}
	}
	if len(lr.Attributes) > 0 {
		rec.Attributes = appendAttributes(nil, lr.Attributes)
	}
	return rec, nil
}

func stringAttr(kvs []*commonv1.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			if s, ok := kv.GetValue().GetValue().(*commonv1.AnyValue_StringValue); ok {
				return s.StringValue
			}
		}
	}
	return ""
}

// sortRejections orders rejections by index (insertion sort: they are few
// and nearly sorted).
func sortRejections(r []Rejection) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Index < r[j-1].Index; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// Package otlp decodes OTLP/HTTP log exports (ExportLogsServiceRequest, in
// protobuf or in OTLP's JSON encoding) into flat log records, and encodes
// the ExportLogsServiceResponse, with partial success, in both encodings.
//
// Protobuf is read field by field with protowire straight into records, so
// memory stays near the input size; the fuzz target checks it against the
// generated code of go.opentelemetry.io/proto/otlp. JSON is read with
// fastjson into those generated types and then flattened, because OTLP/JSON
// differs from the proto3 JSON mapping (trace and span ids are hex, not
// base64). The JSON reader also accepts what real senders emit besides the
// spec: snake_case keys, int64 as numbers or strings, enums as numbers or
// names, and base64 ids.
package otlp

import (
	"fmt"
	"time"
)

// Record is one log record, flattened with its resource and scope.
type Record struct {
	// Time is time_unix_nano, or observed_time_unix_nano when that is 0;
	// the zero time when both are 0.
	Time         time.Time
	ObservedTime time.Time

	SeverityNumber int32
	SeverityText   string

	// Body is the body when it is a string value. For any other value it is
	// that value as JSON (an AnyValue kvlist becomes an object, an array an
	// array, bytes a base64 string) and BodyJSON is true. Empty when the
	// record has no body.
	Body     string
	BodyJSON bool

	// Attributes is the record's attributes as one JSON object; nil when
	// there are none.
	Attributes []byte
	// Resource is the resource's attributes as one JSON object, shared by
	// all records of that resource; nil when there are none.
	Resource []byte
	// ServiceName and HostName repeat the resource attributes
	// "service.name" and "host.name" when they are strings.
	ServiceName string
	HostName    string

	ScopeName    string
	ScopeVersion string

	// TraceID and SpanID are lowercase hex; empty when absent.
	TraceID string
	SpanID  string
	Flags   uint32

	EventName              string
	DroppedAttributesCount uint32
}

// Rejection is a log record the decoder refused, by its 0-based position
// among all log records of the request.
type Rejection struct {
	Index  int
	Reason string
}

// Batch is a decoded request: the records kept and the ones refused.
type Batch struct {
	Records  []Record
	Rejected []Rejection
}

// Response returns the ExportLogsServiceResponse for the batch: full success
// when nothing was refused, else a partial success naming how many records
// were refused and why (the first reasons, joined).
func (b *Batch) Response() Response {
	if len(b.Rejected) == 0 {
		return Response{}
	}
	msg := fmt.Sprintf("%d log record(s) rejected", len(b.Rejected))
	for i, r := range b.Rejected {
		if i == 3 {
			msg += "; …"
			break
		}
		msg += fmt.Sprintf("; record %d: %s", r.Index, r.Reason)
	}
	return Response{RejectedLogRecords: int64(len(b.Rejected)), ErrorMessage: msg}
}

func unixNano(n uint64) time.Time {
	if n == 0 || n > 1<<63-1 {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}

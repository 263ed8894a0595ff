package otlp

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// Response is an ExportLogsServiceResponse. The zero value is full success
// (partial_success left unset, as the OTLP specification asks).
type Response struct {
	RejectedLogRecords int64
	ErrorMessage       string
}

func (r Response) partial() bool { return r.RejectedLogRecords != 0 || r.ErrorMessage != "" }

// MarshalProto encodes r as protobuf:
// ExportLogsServiceResponse{partial_success(1): {rejected_log_records(1)
// int64, error_message(2) string}}.
func (r Response) MarshalProto() []byte {
	if !r.partial() {
		return []byte{}
	}
	var ps []byte
	if r.RejectedLogRecords != 0 {
		ps = protowire.AppendTag(ps, 1, protowire.VarintType)
		ps = protowire.AppendVarint(ps, uint64(r.RejectedLogRecords))
	}
	if r.ErrorMessage != "" {
		ps = protowire.AppendTag(ps, 2, protowire.BytesType)
		ps = protowire.AppendString(ps, r.ErrorMessage)
	}
	out := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(out, ps)
}

// MarshalJSON encodes r in OTLP/JSON: {} on full success, else
// {"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"…"}} (int64
// as a string, as the proto3 JSON mapping writes it).
func (r Response) MarshalJSON() ([]byte, error) {
	if !r.partial() {
		return []byte("{}"), nil
	}
	b := []byte(`{"partialSuccess":{`)
	if r.RejectedLogRecords != 0 {
		b = append(b, `"rejectedLogRecords":"`...)
		b = strconv.AppendInt(b, r.RejectedLogRecords, 10)
		b = append(b, '"')
	}
	if r.ErrorMessage != "" {
		if r.RejectedLogRecords != 0 {
			b = append(b, ',')
		}
		b = append(b, `"errorMessage":`...)
		b = jsonw.AppendString(b, r.ErrorMessage)
	}
	return append(b, "}}"...), nil
}

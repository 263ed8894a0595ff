package otlp

import (
	"fmt"

	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

// DecodeProto decodes a protobuf ExportLogsServiceRequest
// (Content-Type: application/x-protobuf). A body that is not valid protobuf
// of that shape is an error for the whole request (HTTP 400); records with
// invalid trace or span ids are refused one by one (see Batch.Rejected).
func DecodeProto(body []byte) (*Batch, error) {
	// ExportLogsServiceRequest and LogsData are the same message on the
	// wire: field 1, repeated ResourceLogs.
	var req logsv1.LogsData
	if err := proto.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("otlp: decoding protobuf ExportLogsServiceRequest: %w", err)
	}
	return flatten(req.ResourceLogs, nil), nil
}

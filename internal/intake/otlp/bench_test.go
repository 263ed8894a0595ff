package otlp

import (
	"fmt"
	"testing"

	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// benchRequest is a 1,000-record export shaped like the Collector's:
// one resource, one scope, records with a string body and 4 attributes.
func benchRequest() *logsv1.LogsData {
	req := collectorRequest()
	sl := req.ResourceLogs[0].ScopeLogs[0]
	tmpl := sl.LogRecords[0]
	sl.LogRecords = nil
	for i := range 1000 {
		r := proto.Clone(tmpl).(*logsv1.LogRecord)
		r.TimeUnixNano += uint64(i)
		r.Body = sv(fmt.Sprintf("GET /healthhub/api/v1/records?id=%d 200 5123 bytes in %dms", i, i%97))
		r.Attributes = append(r.Attributes, kv("http.route", sv("/api/v1/records")))
		sl.LogRecords = append(sl.LogRecords, r)
	}
	return req
}

func BenchmarkDecodeProto(b *testing.B) {
	body, err := proto.Marshal(benchRequest())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		batch, err := DecodeProto(body)
		if err != nil {
			b.Fatal(err)
		}
		n += len(batch.Records)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDecodeJSON(b *testing.B) {
	// protojson writes base64 ids; clear them so the body is valid OTLP/JSON.
	req := benchRequest()
	for _, r := range req.ResourceLogs[0].ScopeLogs[0].LogRecords {
		r.TraceId, r.SpanId = nil, nil
	}
	body, err := protojson.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		batch, err := DecodeJSON(body)
		if err != nil {
			b.Fatal(err)
		}
		n += len(batch.Records)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

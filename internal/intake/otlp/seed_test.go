package otlp

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the testdata/fuzz/FuzzDecodeProto seeds")

// seedRequests are the binary fuzz seeds: the Collector-shaped request and
// one exercising every AnyValue kind, a bad trace id and a missing body.
func seedRequests() map[string]*logsv1.LogsData {
	varied := collectorRequest()
	recs := varied.ResourceLogs[0].ScopeLogs[0].LogRecords
	recs[0].TraceId = []byte{1, 2, 3}
	recs[1].Body = &commonv1.AnyValue{Value: &commonv1.AnyValue_ArrayValue{ArrayValue: &commonv1.ArrayValue{Values: []*commonv1.AnyValue{
		{Value: &commonv1.AnyValue_BytesValue{BytesValue: []byte{0, 1, 0xff}}},
		{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: math.Inf(-1)}},
		{Value: &commonv1.AnyValue_BoolValue{BoolValue: false}},
		{},
		{Value: &commonv1.AnyValue_KvlistValue{KvlistValue: &commonv1.KeyValueList{Values: []*commonv1.KeyValue{kv("k", nil)}}}},
	}}}}
	recs = append(recs, &logsv1.LogRecord{SeverityText: "no body", EventName: "e", DroppedAttributesCount: 3})
	varied.ResourceLogs[0].ScopeLogs[0].LogRecords = recs
	varied.ResourceLogs = append(varied.ResourceLogs, &logsv1.ResourceLogs{})
	return map[string]*logsv1.LogsData{"collector": collectorRequest(), "varied": varied}
}

// TestWriteProtoSeeds regenerates the binary fuzz seeds with -write-seeds;
// without the flag it checks that the committed seeds exist and decode.
func TestWriteProtoSeeds(t *testing.T) {
	for name, req := range seedRequests() {
		body, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "fuzz", "FuzzDecodeProto", name)
		if *writeSeeds {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", body)
			if err := os.WriteFile(path, []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := DecodeProto(body); err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed file missing (run with -write-seeds): %v", err)
		}
	}
}

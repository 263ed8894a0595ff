package otlp

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

func sv(s string) *commonv1.AnyValue {
	return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: s}}
}

func kv(k string, v *commonv1.AnyValue) *commonv1.KeyValue {
	return &commonv1.KeyValue{Key: k, Value: v}
}

// collectorRequest builds, with the generated types, the request the
// OpenTelemetry Collector's otlphttp exporter sends for the records in
// testdata/collector_otlphttp.json.
func collectorRequest() *logsv1.LogsData {
	return &logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource: &resourcev1.Resource{Attributes: []*commonv1.KeyValue{
			kv("service.name", sv("healthhub-api")),
			kv("host.name", sv("web01")),
			kv("process.pid", &commonv1.AnyValue{Value: &commonv1.AnyValue_IntValue{IntValue: 4242}}),
		}},
		SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
		ScopeLogs: []*logsv1.ScopeLogs{{
			Scope:     &commonv1.InstrumentationScope{Name: "github.com/kubu-gov/demo/logger", Version: "1.2.0"},
			SchemaUrl: "https://opentelemetry.io/schemas/1.26.0",
			LogRecords: []*logsv1.LogRecord{
				{
					TimeUnixNano: 1795828502123456789, ObservedTimeUnixNano: 1795828502200000000,
					SeverityNumber: logsv1.SeverityNumber_SEVERITY_NUMBER_INFO, SeverityText: "Info",
					Body: sv("payment accepted"),
					Attributes: []*commonv1.KeyValue{
						kv("http.status_code", &commonv1.AnyValue{Value: &commonv1.AnyValue_IntValue{IntValue: 200}}),
						kv("user.roles", &commonv1.AnyValue{Value: &commonv1.AnyValue_ArrayValue{ArrayValue: &commonv1.ArrayValue{Values: []*commonv1.AnyValue{sv("analyst"), sv("triager")}}}}),
						kv("latency", &commonv1.AnyValue{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: 0.25}}),
					},
					Flags:   1,
					TraceId: []byte{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c},
					SpanId:  []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74},
				},
				{
					ObservedTimeUnixNano: 1795828503000000000,
					SeverityNumber:       logsv1.SeverityNumber_SEVERITY_NUMBER_ERROR,
					Body: &commonv1.AnyValue{Value: &commonv1.AnyValue_KvlistValue{KvlistValue: &commonv1.KeyValueList{Values: []*commonv1.KeyValue{
						kv("msg", sv("db down")),
						kv("retry", &commonv1.AnyValue{Value: &commonv1.AnyValue_BoolValue{BoolValue: true}}),
					}}}},
				},
			},
		}},
	}}}
}

func wantCollectorRecords() []Record {
	res := []byte(`{"service.name":"healthhub-api","host.name":"web01","process.pid":4242}`)
	return []Record{
		{
			Time: time.Unix(0, 1795828502123456789).UTC(), ObservedTime: time.Unix(0, 1795828502200000000).UTC(),
			SeverityNumber: 9, SeverityText: "Info", Body: "payment accepted",
			Attributes: []byte(`{"http.status_code":200,"user.roles":["analyst","triager"],"latency":0.25}`),
			Resource:   res, ServiceName: "healthhub-api", HostName: "web01",
			ScopeName: "github.com/kubu-gov/demo/logger", ScopeVersion: "1.2.0",
			TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174", Flags: 1,
		},
		{
			Time: time.Unix(0, 1795828503000000000).UTC(), ObservedTime: time.Unix(0, 1795828503000000000).UTC(),
			SeverityNumber: 17, Body: `{"msg":"db down","retry":true}`, BodyJSON: true,
			Resource: res, ServiceName: "healthhub-api", HostName: "web01",
			ScopeName: "github.com/kubu-gov/demo/logger", ScopeVersion: "1.2.0",
		},
	}
}

func TestDecodeProtoCollector(t *testing.T) {
	body, err := proto.Marshal(collectorRequest())
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeProto(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Batch{Records: wantCollectorRecords()}, b); diff != "" {
		t.Errorf("batch mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeJSONCollector(t *testing.T) {
	body, err := os.ReadFile("testdata/collector_otlphttp.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Batch{Records: wantCollectorRecords()}, b); diff != "" {
		t.Errorf("batch mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeJSONVariants(t *testing.T) {
	wrap := func(rec string) string {
		return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[` + rec + `]}]}]}`
	}
	tests := []struct {
		name string
		body string
		want Record
	}{
		{"numbers instead of strings, enum by name",
			wrap(`{"timeUnixNano":1700000000000000000,"severityNumber":"SEVERITY_NUMBER_WARN","body":{"intValue":7}}`),
			Record{Time: time.Unix(1700000000, 0).UTC(), SeverityNumber: 13, Body: "7", BodyJSON: true}},
		{"snake_case keys and lower-case hex",
			`{"resource_logs":[{"scope_logs":[{"log_records":[{"time_unix_nano":"1","trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174","body":{"string_value":"x"}}]}]}]}`,
			Record{Time: time.Unix(0, 1).UTC(), TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174", Body: "x"}},
		{"base64 ids from a proto3-JSON encoder",
			wrap(`{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXQ="}`),
			Record{TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174"}},
		{"bytes, non-finite double, empty value, escapes",
			wrap(`{"body":{"arrayValue":{"values":[{"bytesValue":"AAE="},{"doubleValue":"NaN"},{},{"stringValue":"a\"b\n"}]}}}`),
			Record{Body: `["AAE=","NaN",null,"a\"b\n"]`, BodyJSON: true}},
		{"empty ids and unknown fields ignored",
			wrap(`{"traceId":"","spanId":"","future":{"x":1},"body":{"stringValue":"x","other":1}}`),
			Record{Body: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeJSON([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&Batch{Records: []Record{tt.want}}, b); diff != "" {
				t.Errorf("batch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPartialRejection checks that a bad record is refused alone, by its
// position in the request, and that the others are kept.
func TestPartialRejection(t *testing.T) {
	body := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[
		{"body":{"stringValue":"ok0"}},
		{"traceId":"xyz","body":{"stringValue":"bad1"}},
		{"body":{"stringValue":"ok2"}}]},
		{"logRecords":[{"attributes":[{"key":"n","value":{"intValue":"ten"}}]},
		{"spanId":"0011","body":{"stringValue":"bad4"}},
		"not an object",
		{"body":{"stringValue":"ok6"}}]}]}]}`
	b, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range b.Records {
		kept = append(kept, r.Body)
	}
	if diff := cmp.Diff([]string{"ok0", "ok2", "ok6"}, kept); diff != "" {
		t.Errorf("kept records (-want +got):\n%s", diff)
	}
	var idx []int
	for _, r := range b.Rejected {
		idx = append(idx, r.Index)
	}
	if diff := cmp.Diff([]int{1, 3, 4, 5}, idx); diff != "" {
		t.Errorf("rejected positions (-want +got):\n%s", diff)
	}
	resp := b.Response()
	if resp.RejectedLogRecords != 4 || resp.ErrorMessage == "" {
		t.Errorf("response = %+v", resp)
	}

	// The same rule for protobuf: a 5-byte trace id is refused.
	req := collectorRequest()
	req.ResourceLogs[0].ScopeLogs[0].LogRecords[0].TraceId = []byte{1, 2, 3, 4, 5}
	pb, _ := proto.Marshal(req)
	pbBatch, err := DecodeProto(pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(pbBatch.Records) != 1 || len(pbBatch.Rejected) != 1 || pbBatch.Rejected[0].Index != 0 {
		t.Errorf("proto batch: %d kept, rejected %+v", len(pbBatch.Records), pbBatch.Rejected)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"resourceLogs":{}}`, `{"resourceLogs":[1]}`, `{"resourceLogs":[{"scopeLogs":"x"}]}`,
		`{"resourceLogs":[{"scopeLogs":[{"logRecords":{}}]}]}`, `{"resourceLogs":[{"resource":{"attributes":[{"key":"a","value":{"intValue":"x"}}]}}]}`} {
		if _, err := DecodeJSON([]byte(body)); err == nil {
			t.Errorf("DecodeJSON(%q) accepted", body)
		}
	}
	if _, err := DecodeProto([]byte{0x0a, 0x05, 0x01}); err == nil {
		t.Errorf("DecodeProto accepted truncated input")
	}
	if b, err := DecodeJSON([]byte(`{}`)); err != nil || len(b.Records) != 0 {
		t.Errorf("empty request: %v, %+v", err, b)
	}
}

func TestAppendAnyValueDoubles(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{math.Inf(1), `"Infinity"`}, {math.Inf(-1), `"-Infinity"`}, {1e21, "1e+21"}, {-0.5, "-0.5"}}
	for _, tt := range tests {
		got := string(appendAnyValue(nil, &commonv1.AnyValue{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: tt.in}}))
		if got != tt.want {
			t.Errorf("double %v = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := string(jsonw.AppendString(nil, "a\x01\xffb")); got != `"a\u0001\ufffdb"` {
		t.Errorf("AppendString = %s", got)
	}
}

// TestDecodeProtoFieldOrder feeds a ResourceLogs whose resource comes after
// its scope logs and whose resource is split in two occurrences (which
// protobuf merges), as a non-Go encoder may write it.
func TestDecodeProtoFieldOrder(t *testing.T) {
	req := collectorRequest()
	rl := req.ResourceLogs[0]
	sl, _ := proto.Marshal(rl.ScopeLogs[0])
	res1, _ := proto.Marshal(&resourcev1.Resource{Attributes: rl.Resource.Attributes[:2]})
	res2, _ := proto.Marshal(&resourcev1.Resource{Attributes: rl.Resource.Attributes[2:]})
	var rlb []byte
	rlb = protowire.AppendTag(rlb, 2, protowire.BytesType)
	rlb = protowire.AppendBytes(rlb, sl)
	rlb = protowire.AppendTag(rlb, 1, protowire.BytesType)
	rlb = protowire.AppendBytes(rlb, res1)
	rlb = protowire.AppendTag(rlb, 99, protowire.VarintType) // unknown field
	rlb = protowire.AppendVarint(rlb, 7)
	rlb = protowire.AppendTag(rlb, 1, protowire.BytesType)
	rlb = protowire.AppendBytes(rlb, res2)
	body := protowire.AppendTag(nil, 1, protowire.BytesType)
	body = protowire.AppendBytes(body, rlb)
	b, err := DecodeProto(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Batch{Records: wantCollectorRecords()}, b); diff != "" {
		t.Errorf("batch mismatch (-want +got):\n%s", diff)
	}
}

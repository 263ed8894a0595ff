package intake

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func otlpHeaders(tok, ct string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": ct}
}

// TestOTLPJSON sends what the OpenTelemetry Collector's otlphttp exporter
// sends with encoding json.
func TestOTLPJSON(t *testing.T) {
	r := newRig(t, Options{})
	body, err := os.ReadFile("otlp/testdata/collector_otlphttp.json")
	if err != nil {
		t.Fatal(err)
	}
	code, _, resp := r.send(t, "POST", "/v1/logs", bytes.NewReader(body), otlpHeaders(r.tokens["MOH"], "application/json"))
	if code != 200 {
		t.Fatalf("answer %d %s", code, resp)
	}
	evs := r.stored(t)
	if len(evs) == 0 {
		t.Fatal("nothing stored")
	}
	first := evs[0]
	if first.Fields["message"] != "payment accepted" || first.Fields["service.name"] != "healthhub-api" || first.meta("host") != "web01" {
		t.Fatalf("record not normalised: %s", first.Line)
	}
	if first.Fields["http.status_code"] == nil {
		t.Fatalf("attributes are not top-level fields: %s", first.Line)
	}
	if !strings.HasPrefix(first.meta("time"), "2026-11-28T01:15:02.123456789") {
		t.Fatalf("event time %q", first.meta("time"))
	}
}

// TestOTLPProtobuf sends protobuf (the Collector's default), including a
// record with a bad trace id, which is refused alone (partial success).
func TestOTLPProtobuf(t *testing.T) {
	r := newRig(t, Options{})
	str := func(s string) *commonv1.AnyValue {
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: s}}
	}
	data := &logsv1.LogsData{ResourceLogs: []*logsv1.ResourceLogs{{
		Resource: &resourcev1.Resource{Attributes: []*commonv1.KeyValue{{Key: "host.name", Value: str("db02")}}},
		ScopeLogs: []*logsv1.ScopeLogs{{LogRecords: []*logsv1.LogRecord{
			{TimeUnixNano: 1795828502000000000, Body: str("login failed for admin"), SeverityText: "WARN"},
			{TimeUnixNano: 1795828503000000000, Body: str("bad trace"), TraceId: []byte{1, 2, 3}},
			{TimeUnixNano: 1795828504000000000, Body: str("login ok")},
		}}},
	}}}
	body, err := proto.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	code, hdr, resp := r.send(t, "POST", "/v1/logs", bytes.NewReader(body), otlpHeaders(r.tokens["MOE"], "application/x-protobuf"))
	if code != 200 || hdr.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("answer %d %s", code, hdr.Get("Content-Type"))
	}
	// ExportLogsServiceResponse{partial_success{rejected_log_records: 1}}
	f1, t1, n := protowire.ConsumeTag(resp)
	if n < 0 || f1 != 1 || t1 != protowire.BytesType {
		t.Fatalf("response has no partial_success: %x", resp)
	}
	inner, _ := protowire.ConsumeBytes(resp[n:])
	num, typ, tn := protowire.ConsumeTag(inner)
	rejected, _ := protowire.ConsumeVarint(inner[max(tn, 0):])
	if num != 1 || typ != protowire.VarintType || rejected != 1 {
		t.Fatalf("partial success not reported: %x", resp)
	}
	evs := r.stored(t)
	if len(evs) != 2 || evs[0].Fields["message"] != "login failed for admin" || evs[1].Fields["message"] != "login ok" {
		t.Fatalf("stored %v", evs)
	}
	if evs[0].meta("agency") != "MOE" || evs[0].meta("host") != "db02" {
		t.Fatalf("meta %s", evs[0].Line)
	}
	st := r.statsOf(t)
	if st.EventsAccepted != 2 || st.EventsRejected != 1 {
		t.Fatalf("stats accepted %d rejected %d", st.EventsAccepted, st.EventsRejected)
	}
}

func TestOTLPRefusals(t *testing.T) {
	r := newRig(t, Options{})
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    float64
	}{
		{"no token", map[string]string{"Content-Type": "application/json"}, `{}`, 401, 16},
		{"wrong token", otlpHeaders("kubu_in_nope", "application/json"), `{}`, 401, 16},
		{"not json", otlpHeaders(r.tokens["MOH"], "application/json"), `{"resourceLogs":`, 400, 3},
		{"wrong content type", otlpHeaders(r.tokens["MOH"], "text/xml"), `<x/>`, 415, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, resp := r.send(t, "POST", "/v1/logs", strings.NewReader(tt.body), tt.headers)
			var st map[string]any
			json.Unmarshal(resp, &st)
			if code != tt.status || st["code"] != tt.code || st["message"] == "" {
				t.Fatalf("got %d %s", code, resp)
			}
		})
	}
}

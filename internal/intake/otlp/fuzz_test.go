package otlp

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	logsv1 "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/proto"
)

// checkBatch asserts the invariants of a decoded batch: every kept record's
// JSON parts are valid JSON, and rejections are in order and in range.
func checkBatch(t *testing.T, b *Batch) {
	t.Helper()
	for i, r := range b.Records {
		for _, part := range [][]byte{r.Attributes, r.Resource} {
			if part != nil && !json.Valid(part) {
				t.Fatalf("record %d: invalid JSON %q", i, part)
			}
		}
		if r.BodyJSON && !json.Valid([]byte(r.Body)) {
			t.Fatalf("record %d: invalid JSON body %q", i, r.Body)
		}
		if len(r.TraceID) != 0 && len(r.TraceID) != 32 || len(r.SpanID) != 0 && len(r.SpanID) != 16 {
			t.Fatalf("record %d: ids %q %q", i, r.TraceID, r.SpanID)
		}
	}
	for i := 1; i < len(b.Rejected); i++ {
		if b.Rejected[i].Index <= b.Rejected[i-1].Index {
			t.Fatalf("rejections out of order: %+v", b.Rejected)
		}
	}
	resp := b.Response()
	if resp.RejectedLogRecords != int64(len(b.Rejected)) {
		t.Fatalf("response counts %d, batch %d", resp.RejectedLogRecords, len(b.Rejected))
	}
	if out, err := json.Marshal(resp); err != nil || !json.Valid(out) {
		t.Fatalf("response JSON %q: %v", out, err)
	}
}

// FuzzDecodeProto checks that any bytes decode or fail cleanly, and
// compares the hand-written wire decoder with the generated code: whenever
// proto.Unmarshal accepts the input, the records decoded from its canonical
// re-encoding must equal those built from the generated messages.
func FuzzDecodeProto(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeProto(body)
		if err == nil {
			checkBatch(t, b)
		}
		var ref logsv1.LogsData
		if proto.Unmarshal(body, &ref) != nil {
			return
		}
		if err != nil {
			t.Fatalf("proto.Unmarshal accepts the input, DecodeProto says %v", err)
		}
		canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(&ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeProto(canonical)
		if err != nil {
			t.Fatalf("canonical re-encoding refused: %v", err)
		}
		want := flatten(ref.ResourceLogs, nil)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmp.Comparer(equalNaN)); diff != "" {
			t.Fatalf("wire decoder differs from generated code (-want +got):\n%s", diff)
		}
	})
}

// equalNaN compares floats treating NaN as equal to NaN (not used by Record
// today, kept so a float field cannot make the comparison flaky).
func equalNaN(a, b float64) bool { return a == b || a != a && b != b }

// FuzzDecodeJSON checks that any text decodes or fails cleanly.
func FuzzDecodeJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeJSON(body)
		if err != nil {
			return
		}
		checkBatch(t, b)
	})
}

package otlp

import (
	"encoding/json"
	"testing"
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

// FuzzDecodeProto checks that any bytes decode or fail cleanly.
func FuzzDecodeProto(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeProto(body)
		if err != nil {
			return
		}
		checkBatch(t, b)
	})
}

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

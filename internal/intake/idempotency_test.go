package intake

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestResendsStoreNothingTwice: a shipper that resends a request after a
// lost answer, on this node or another, with the same idempotency key
// (HEC: Idempotency-Key with the channel; _bulk: creates with _id, or the
// header; OTLP: the header) stores and counts its events once; without a
// key, or with another key, a resend is new events (issue 15 item 3).
func TestResendsStoreNothingTwice(t *testing.T) {
	r := newRig(t, Options{MaxBatchEvents: 2}) // several batches per request
	other := r.otherNode(t, Options{MaxBatchEvents: 2})
	const ch = "0F3C2D3E-9A5B-4C7D-8E9F-0A1B2C3D4E5F"
	hecBody := `{"event":{"n":1}}{"event":{"n":2}}{"event":{"n":3}}`
	bulkIDs := "{\"create\":{\"_index\":\"logs\",\"_id\":\"a1\"}}\n{\"n\":1}\n{\"create\":{\"_index\":\"logs\",\"_id\":\"a2\"}}\n{\"n\":2}\n{\"create\":{\"_index\":\"logs\",\"_id\":\"a3\"}}\n{\"n\":3}\n"
	bulkNoIDs := "{\"index\":{\"_index\":\"logs\"}}\n{\"n\":1}\n"
	otlpBody := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a"}},{"body":{"stringValue":"b"}}]}]}]}`
	hec := func(key string) map[string]string {
		h := map[string]string{"Authorization": "Splunk " + r.tokens["MOH"], "X-Splunk-Request-Channel": ch}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		return h
	}
	bulkH := map[string]string{"Authorization": "ApiKey " + r.tokens["MOH"], "Content-Type": "application/x-ndjson"}
	otlpH := map[string]string{"Authorization": "Bearer " + r.tokens["MOH"], "Content-Type": "application/json", "Idempotency-Key": "otlp-1"}
	steps := []struct {
		name       string
		node       *rig
		path, body string
		headers    map[string]string
		newEvents  int
	}{
		{"hec keyed", r, "/services/collector/event", hecBody, hec("req-1"), 3},
		{"hec keyed resend on another node", other, "/services/collector/event", hecBody, hec("req-1"), 0},
		{"hec another key", r, "/services/collector/event", hecBody, hec("req-2"), 3},
		{"hec no key", r, "/services/collector/event", hecBody, hec(""), 3},
		{"hec no key again", r, "/services/collector/event", hecBody, hec(""), 3},
		{"bulk creates with ids", r, "/_bulk", bulkIDs, bulkH, 3},
		{"bulk same creates resent", other, "/_bulk", bulkIDs, bulkH, 0},
		{"bulk index without ids", r, "/_bulk", bulkNoIDs, bulkH, 1},
		{"bulk index without ids again", r, "/_bulk", bulkNoIDs, bulkH, 1},
		{"otlp keyed", r, "/v1/logs", otlpBody, otlpH, 2},
		{"otlp keyed resend", other, "/v1/logs", otlpBody, otlpH, 0},
	}
	want := 0
	for _, st := range steps {
		code, _, body := st.node.send(t, "POST", st.path, strings.NewReader(st.body), st.headers)
		if code != 200 || strings.Contains(string(body), `"errors":true`) {
			t.Fatalf("%s: %d %s", st.name, code, body)
		}
		want += st.newEvents
		if got := len(r.stored(t)); got != want {
			t.Fatalf("%s: %d events stored, want %d", st.name, got, want)
		}
		if got := r.statsOf(t).EventsAccepted; got != int64(want) {
			t.Fatalf("%s: %d events counted, want %d", st.name, got, want)
		}
	}
	bad := hec(strings.Repeat("k", 300))
	if code, _, body := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecBody), bad); code != 400 || !strings.Contains(string(body), "Idempotency-Key") {
		t.Fatalf("overlong key: %d %s", code, body)
	}
}

// FuzzIdempotencyKey: any header value is refused with a reason or gives
// message ids JetStream accepts (printable, at most 256 bytes), the same
// for the same key and batch and different across batches.
func FuzzIdempotencyKey(f *testing.F) {
	f.Add("req-1", "chan")
	f.Add(strings.Repeat("x", 257), "")
	f.Add("a\x00b", "c")
	f.Fuzz(func(t *testing.T, key, channel string) {
		r := httptest.NewRequest("POST", "/services/collector/event", nil)
		r.Header["Idempotency-Key"] = []string{key}
		k, err := idempotencyHeader(r)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refused without a reason")
			}
			return
		}
		full := scopedKey("tok", ProtoHEC, channel+"/"+k)
		a, b := keyedMsgID(full, 0), keyedMsgID(full, 1)
		if a != keyedMsgID(full, 0) || a == b || len(a) > 256 || strings.ContainsAny(a, " \t\r\n") {
			t.Fatalf("message ids %q %q", a, b)
		}
	})
}

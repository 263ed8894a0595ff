package intake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type bulkAnswer struct {
	Errors bool                        `json:"errors"`
	Items  []map[string]map[string]any `json:"items"`
}

func (a bulkAnswer) statuses() []int {
	var out []int
	for _, it := range a.Items {
		for _, v := range it {
			out = append(out, int(v["status"].(float64)))
		}
	}
	return out
}

// TestBulkShippers sends the _bulk bodies Fluent Bit, Vector and
// Winlogbeat send, with each way they authenticate.
func TestBulkShippers(t *testing.T) {
	r := newRig(t, Options{})
	tok := r.tokens["MOE"]
	tests := []struct {
		fixture, path, auth string
		windows             bool
	}{
		{"fluentbit_es.ndjson", "/_bulk", "Basic " + base64.StdEncoding.EncodeToString([]byte("fluent:"+tok)), false},
		{"vector_elasticsearch.ndjson", "/logs-vector/_bulk", "Bearer " + tok, false},
		{"winlogbeat.ndjson", "/_bulk", "ApiKey " + base64.StdEncoding.EncodeToString([]byte("winlogbeat-key:"+tok)), true},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body, err := os.ReadFile("bulk/testdata/" + tt.fixture)
			if err != nil {
				t.Fatal(err)
			}
			before := len(r.stored(t))
			code, hdr, resp := r.send(t, "POST", tt.path, bytes.NewReader(body), map[string]string{"Authorization": tt.auth, "Content-Type": "application/x-ndjson"})
			var ans bulkAnswer
			if err := json.Unmarshal(resp, &ans); err != nil || code != 200 || ans.Errors {
				t.Fatalf("answer %d %s", code, resp)
			}
			if hdr.Get("X-Elastic-Product") != "Elasticsearch" {
				t.Error("missing X-Elastic-Product header (Elastic clients check it)")
			}
			evs := r.stored(t)[before:]
			if len(evs) != len(ans.Items) || len(evs) == 0 {
				t.Fatalf("stored %d events for %d items", len(evs), len(ans.Items))
			}
			for _, ev := range evs {
				if ev.meta("agency") != "MOE" || ev.meta("protocol") != ProtoBulk {
					t.Errorf("not stamped: %s", ev.Line)
				}
				if tt.windows && (ev.Fields["EventID"] == nil || ev.meta("host") == "") {
					t.Errorf("winlogbeat document not flattened: %s", ev.Line)
				}
			}
		})
	}
}

// TestBulkPerItem keeps the good items of a request whose other items are
// bad, and answers each item on its own.
func TestBulkPerItem(t *testing.T) {
	r := newRig(t, Options{})
	body := strings.Join([]string{
		`{"index":{"_index":"a"}}`, `{"msg":"good one"}`,
		`{"index":{"_index":"a"}}`, `{"msg": broken`,
		`{"delete":{"_index":"a","_id":"1"}}`,
		`{"create":{"_index":"a","_id":"x7"}}`, `{"msg":"good two"}`,
		`not an action`, `{"msg":"orphan"}`,
		`{"index":{}}`, `"a string, not an object"`,
	}, "\n") + "\n"
	code, _, resp := r.send(t, "POST", "/_bulk", strings.NewReader(body), map[string]string{"Authorization": "Bearer " + r.tokens["MOH"]})
	var ans bulkAnswer
	if err := json.Unmarshal(resp, &ans); err != nil || code != 200 {
		t.Fatalf("answer %d %s", code, resp)
	}
	if !ans.Errors {
		t.Fatal("errors must be true when an item failed")
	}
	got := ans.statuses()
	if len(got) < 5 || got[0] != 201 || got[1] != 400 || got[2] != 400 || got[3] != 201 {
		t.Fatalf("item statuses %v: %s", got, resp)
	}
	if id := ans.Items[3]["create"]["_id"]; id != "x7" {
		t.Fatalf("create keeps the given id, got %v", id)
	}
	evs := r.stored(t)
	var msgs []string
	for _, ev := range evs {
		msgs = append(msgs, ev.Fields["msg"].(string))
	}
	if diff := cmp.Diff([]string{"good one", "good two"}, msgs); diff != "" {
		t.Fatalf("stored (-want +got):\n%s", diff)
	}
	st := r.statsOf(t)
	if st.EventsAccepted != 2 || st.EventsRejected < 3 {
		t.Fatalf("stats accepted %d rejected %d", st.EventsAccepted, st.EventsRejected)
	}
}

func TestBulkRefusals(t *testing.T) {
	r := newRig(t, Options{})
	tests := []struct {
		name   string
		auth   string
		status int
		typ    string
	}{
		{"no credentials", "", 401, "security_exception"},
		{"unknown token", "ApiKey " + base64.StdEncoding.EncodeToString([]byte("id:kubu_in_wrong")), 401, "security_exception"},
		{"splunk scheme is not elastic's", "Splunk " + r.tokens["MOH"], 401, "security_exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			code, hdr, resp := r.send(t, "POST", "/_bulk", strings.NewReader("{\"index\":{}}\n{}\n"), h)
			var e struct {
				Error struct {
					Type string `json:"type"`
				} `json:"error"`
				Status int `json:"status"`
			}
			json.Unmarshal(resp, &e)
			if code != tt.status || e.Error.Type != tt.typ || e.Status != tt.status {
				t.Fatalf("got %d %s", code, resp)
			}
			if code == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

package intake

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

func hecAuth(tok string) map[string]string {
	return map[string]string{"Authorization": "Splunk " + tok}
}

// TestHECShippers sends the bodies Vector, Fluent Bit and Winlogbeat (via
// HEC) send and checks every event is stored, stamped and normalised.
func TestHECShippers(t *testing.T) {
	r := newRig(t, Options{})
	tests := []struct {
		fixture string
		events  int
		check   func(t *testing.T, ev storedEvent)
	}{
		{"vector_splunk_hec_logs.json", 2, func(t *testing.T, ev storedEvent) {
			if ev.Fields["message"] == nil || ev.Fields["sourcetype"] != "nginx:access" || ev.Fields["env"] != "prod" {
				t.Errorf("vector event lost its fields: %s", ev.Line)
			}
			if ev.meta("host") != "web01" || !strings.HasPrefix(ev.meta("time"), "2026-11-28T01:15:02") {
				t.Errorf("vector event meta: %s", ev.Line)
			}
		}},
		{"fluentbit_splunk.json", 2, func(t *testing.T, ev storedEvent) {
			if _, ok := ev.Fields["kubernetes"].(map[string]any); !ok {
				t.Errorf("fluent bit event lost its nested fields: %s", ev.Line)
			}
		}},
		{"winlogbeat_in_hec.json", -1, func(t *testing.T, ev storedEvent) {
			if ev.Fields["EventID"] == nil || ev.Fields["Channel"] == nil {
				t.Errorf("winlogbeat event not flattened to EVTX names: %s", ev.Line)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body, err := os.ReadFile("hec/testdata/" + tt.fixture)
			if err != nil {
				t.Fatal(err)
			}
			before := len(r.stored(t))
			code, _, resp := r.send(t, "POST", "/services/collector/event", bytes.NewReader(body), hecAuth(r.tokens["MOH"]))
			if code != 200 || string(bytes.TrimSpace(resp)) != `{"text":"Success","code":0}` {
				t.Fatalf("answer %d %s", code, resp)
			}
			evs := r.stored(t)[before:]
			if tt.events >= 0 && len(evs) != tt.events {
				t.Fatalf("stored %d events, want %d", len(evs), tt.events)
			}
			if len(evs) == 0 {
				t.Fatal("nothing stored")
			}
			for _, ev := range evs {
				if ev.Subject != "kubu.events.MOH" || ev.meta("agency") != "MOH" || ev.meta("protocol") != ProtoHEC || !strings.HasPrefix(ev.meta("source"), "token:") {
					t.Errorf("event not stamped with its token's agency: %s %s", ev.Subject, ev.Line)
				}
				if !strings.HasPrefix(ev.Line, `{"@kubu":{`) {
					t.Errorf("@kubu is not the first member: %s", ev.Line)
				}
				tt.check(t, ev)
			}
		})
	}
	st := r.statsOf(t)
	if st.EventsAccepted < 5 || st.EventsRejected != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestHECAnswers checks Splunk's answers for bad requests, and that the
// good events before a bad envelope are kept, as Splunk keeps them.
func TestHECAnswers(t *testing.T) {
	r := newRig(t, Options{})
	good := `{"event":"one"}{"event":"two"}`
	tests := []struct {
		name    string
		path    string
		body    string
		headers map[string]string
		status  int
		want    string
		stored  int
	}{
		{"no token", "/services/collector/event", good, nil, 401, `{"text":"Token is required","code":2}`, 0},
		{"unknown scheme", "/services/collector/event", good, map[string]string{"Authorization": "Digest x"}, 401, `{"text":"Invalid authorization","code":3}`, 0},
		{"wrong token", "/services/collector/event", good, hecAuth("kubu_in_nope"), 403, `{"text":"Invalid token","code":4}`, 0},
		{"token in the query", "/services/collector/event?token=" + r.tokens["MOH"], good, nil, 400, `{"text":"Query string authorization is not enabled","code":16}`, 0},
		{"no data", "/services/collector/event", "  ", hecAuth(r.tokens["MOH"]), 400, `{"text":"No data","code":5}`, 0},
		{"bad channel", "/services/collector/event", good, map[string]string{"Authorization": "Splunk " + r.tokens["MOH"], "X-Splunk-Request-Channel": "nope"}, 400, `{"text":"Invalid data channel","code":11}`, 0},
		{"bad third envelope keeps the first two", "/services/collector/event", good + `{"event":`, hecAuth(r.tokens["MOH"]), 400,
			`{"text":"Invalid data format","code":6,"invalid-event-number":2}`, 2},
		{"event required", "/services/collector/event", `{"event":"x"}{"host":"h"}`, hecAuth(r.tokens["MOH"]), 400,
			`{"text":"Event field is required","code":12,"invalid-event-number":1}`, 1},
		{"good", "/services/collector/event", good, hecAuth(r.tokens["MOE"]), 200, `{"text":"Success","code":0}`, 2},
		{"raw lines", "/services/collector/raw?sourcetype=app", "first line\n\nsecond line\n", hecAuth(r.tokens["MOE"]), 200, `{"text":"Success","code":0}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.stored(t))
			code, _, body := r.send(t, "POST", tt.path, strings.NewReader(tt.body), tt.headers)
			if code != tt.status || string(bytes.TrimSpace(body)) != tt.want {
				t.Fatalf("got %d %s, want %d %s", code, body, tt.status, tt.want)
			}
			if n := len(r.stored(t)) - before; n != tt.stored {
				t.Fatalf("stored %d events, want %d", n, tt.stored)
			}
		})
	}
}

// TestHECAck follows indexer acknowledgement: each request on a channel
// gets the next ack id, reported true once (it is durable when answered),
// then forgotten.
func TestHECAck(t *testing.T) {
	r := newRig(t, Options{})
	const ch = "0F3C2D3E-9A5B-4C7D-8E9F-0A1B2C3D4E5F"
	h := map[string]string{"Authorization": "Splunk " + r.tokens["MOH"], "X-Splunk-Request-Channel": ch}
	for want := 0; want < 2; want++ {
		code, _, body := r.send(t, "POST", "/services/collector/event", strings.NewReader(`{"event":"x"}`), h)
		var resp struct {
			Code  int     `json:"code"`
			AckID *uint64 `json:"ackId"`
		}
		json.Unmarshal(body, &resp)
		if code != 200 || resp.AckID == nil || *resp.AckID != uint64(want) {
			t.Fatalf("request %d: %d %s", want, code, body)
		}
	}
	ask := func() map[string]bool {
		code, _, body := r.send(t, "POST", "/services/collector/ack", strings.NewReader(`{"acks":[0,1,7]}`), h)
		var resp struct {
			Acks map[string]bool `json:"acks"`
		}
		if err := json.Unmarshal(body, &resp); err != nil || code != 200 {
			t.Fatalf("ack: %d %s", code, body)
		}
		return resp.Acks
	}
	if diff := cmp.Diff(map[string]bool{"0": true, "1": true, "7": false}, ask()); diff != "" {
		t.Fatalf("first ack query (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"0": false, "1": false, "7": false}, ask()); diff != "" {
		t.Fatalf("second ack query: reported ids must be forgotten (-want +got):\n%s", diff)
	}
	code, _, body := r.send(t, "POST", "/services/collector/ack", strings.NewReader(`{"acks":[0]}`), hecAuth(r.tokens["MOH"]))
	if code != 400 || !strings.Contains(string(body), `"code":10`) {
		t.Fatalf("ack without a channel: %d %s", code, body)
	}
}

func TestHECAckStoreIsBounded(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAckStore(db, 3)
		now := timeZero()
		for i := 0; i < 10; i++ {
			if _, err := a.durable(ctx, "tok", "c1", now); err != nil {
				t.Fatal(err)
			}
		}
		got, err := a.query(ctx, "tok", "c1", []uint64{0, 6, 7, 8, 9, 1 << 63}, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[uint64]bool{0: false, 6: false, 7: true, 8: true, 9: true, 1 << 63: false}, got); diff != "" {
			t.Fatalf("only the newest ids are kept (-want +got):\n%s", diff)
		}
		// Another token's channel of the same name is another channel.
		if got, _ := a.query(ctx, "other", "c1", []uint64{9}, now); got[9] {
			t.Fatal("another token read this token's ack")
		}
		// A day later, a new request sweeps what was not used since.
		a.durable(ctx, "tok", "c2", now.Add(ackTTL+2*time.Minute))
		if n := countRows(t, db, `SELECT count(*) FROM hec_ack_channels WHERE channel = 'c1'`); n != 0 {
			t.Fatalf("unused channel kept: %d", n)
		}
	})
}

// TestHECAckOnAnotherNode: an ack id issued by one node is answered true by
// another node on the same database, once, and ids stay unique across the
// nodes and a restart (issue 15 item 4).
func TestHECAckOnAnotherNode(t *testing.T) {
	a := newRig(t, Options{})
	b := a.otherNode(t, Options{})
	const ch = "0F3C2D3E-9A5B-4C7D-8E9F-0A1B2C3D4E5F"
	h := map[string]string{"Authorization": "Splunk " + a.tokens["MOH"], "X-Splunk-Request-Channel": ch}
	send := func(r *rig) uint64 {
		code, _, body := r.send(t, "POST", "/services/collector/event", strings.NewReader(`{"event":"x"}`), h)
		var resp struct {
			AckID *uint64 `json:"ackId"`
		}
		json.Unmarshal(body, &resp)
		if code != 200 || resp.AckID == nil {
			t.Fatalf("send: %d %s", code, body)
		}
		return *resp.AckID
	}
	ask := func(r *rig, ids ...uint64) map[string]bool {
		q, _ := json.Marshal(map[string]any{"acks": ids})
		code, _, body := r.send(t, "POST", "/services/collector/ack", bytes.NewReader(q), h)
		var resp struct {
			Acks map[string]bool `json:"acks"`
		}
		if err := json.Unmarshal(body, &resp); err != nil || code != 200 {
			t.Fatalf("ack: %d %s", code, body)
		}
		return resp.Acks
	}
	id1, id2 := send(a), send(b)
	restarted := a.otherNode(t, Options{}) // node A after a restart: nothing in memory
	id3 := send(restarted)
	if id1 == id2 || id2 == id3 || id1 == id3 {
		t.Fatalf("ack ids collide across nodes and restarts: %d %d %d", id1, id2, id3)
	}
	want := map[string]bool{fmt.Sprint(id1): true, fmt.Sprint(id2): true, fmt.Sprint(id3): true}
	if diff := cmp.Diff(want, ask(b, id1, id2, id3)); diff != "" {
		t.Fatalf("node B answering for every node's acks (-want +got):\n%s", diff)
	}
	want = map[string]bool{fmt.Sprint(id1): false, fmt.Sprint(id2): false, fmt.Sprint(id3): false}
	if diff := cmp.Diff(want, ask(a, id1, id2, id3)); diff != "" {
		t.Fatalf("acks reported twice (-want +got):\n%s", diff)
	}
}

func countRows(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.R().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHECHealthAndGzip(t *testing.T) {
	r := newRig(t, Options{})
	code, _, body := r.send(t, "GET", "/services/collector/health", nil, hecAuth(r.tokens["MOH"]))
	if code != 200 || !strings.Contains(string(body), `"code":17`) {
		t.Fatalf("health: %d %s", code, body)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(`{"event":{"msg":"compressed"}}`))
	zw.Close()
	h := hecAuth(r.tokens["MOH"])
	h["Content-Encoding"] = "gzip"
	code, _, body = r.send(t, "POST", "/services/collector/event", &zb, h)
	if code != 200 {
		t.Fatalf("gzip body: %d %s", code, body)
	}
	evs := r.stored(t)
	if len(evs) != 1 || evs[0].Fields["msg"] != "compressed" {
		t.Fatalf("stored %v", evs)
	}
	h["Content-Encoding"] = "br"
	code, _, _ = r.send(t, "POST", "/services/collector/event", strings.NewReader("x"), h)
	if code != 415 {
		t.Fatalf("unknown encoding: %d", code)
	}
}

package event

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormaliseDocument(t *testing.T) {
	winlogbeat, err := os.ReadFile("ecs/testdata/winlogbeat8_sysmon.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		doc      string
		want     map[string]any // fields that must be there
		host     string
		time     string
		notField string // a field that must not be there
	}{
		{"plain object kept", `{"msg":"hi","host":{"name":"web01"},"@timestamp":"2026-11-28T01:15:02Z"}`,
			map[string]any{"msg": "hi"}, "web01", "2026-11-28T01:15:02Z", ""},
		{"not an object", `"just text"`, map[string]any{"message": "just text"}, "", "", ""},
		{"array", `[1,2]`, map[string]any{"message": []any{1.0, 2.0}}, "", "", ""},
		{"multi-line object compacted", "{\n \"a\": 1,\n \"hostname\": \"db\"\n}", map[string]any{"a": 1.0}, "db", "", ""},
		{"evtx_dump nested", `{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"DC01","TimeCreated":{"#attributes":{"SystemTime":"2026-11-28T01:15:02.5Z"}}},"EventData":{"TargetUserName":"admin"}}}`,
			map[string]any{"EventID": 4625.0, "Channel": "Security", "TargetUserName": "admin"}, "DC01", "2026-11-28T01:15:02.5Z", "Event"},
		{"winlogbeat ECS", string(winlogbeat), map[string]any{"EventID": 1.0, "Image": `C:\Windows\System32\cmd.exe`}, "WS1.moh.example.sg", "2026-11-28T01:15:02.092Z", "winlog"},
		{"epoch milliseconds", `{"timestamp":1795828502123}`, map[string]any{}, "", "2026-11-28T01:15:02.123Z", ""},
	}
	var n Normaliser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, host, ts, ok := n.Document([]byte(tt.doc))
			if !ok {
				t.Fatal("not normalised")
			}
			var got map[string]any
			if err := json.Unmarshal(obj, &got); err != nil {
				t.Fatalf("not a JSON object: %v\n%s", err, obj)
			}
			if bytes.ContainsAny(obj, "\n\r") {
				t.Fatalf("spans lines: %q", obj)
			}
			for k, v := range tt.want {
				if diff := cmp.Diff(v, got[k]); diff != "" {
					t.Errorf("field %s (-want +got):\n%s", k, diff)
				}
			}
			if tt.notField != "" && got[tt.notField] != nil {
				t.Errorf("field %s should have been flattened away", tt.notField)
			}
			if tt.host != "" && host != tt.host {
				t.Errorf("host %q, want %q", host, tt.host)
			}
			if tt.time != "" {
				want, _ := time.Parse(time.RFC3339Nano, tt.time)
				if !ts.Equal(want) {
					t.Errorf("time %v, want %v", ts, want)
				}
			}
		})
	}
	if _, _, _, ok := n.Document([]byte(`{"broken`)); ok {
		t.Error("broken JSON must not normalise")
	}
}

func TestAppendLineAndParseMeta(t *testing.T) {
	m := Meta{Agency: "MOH", Source: "token:x", Protocol: "hec", Host: "h\"1\n\\é", Received: time.Unix(1795828502, 5000), Time: time.Time{}}
	line := AppendLine(nil, []byte(" { \"a\" :\n 1 } "), &m)
	if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("not one NDJSON line: %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	want := map[string]any{
		"@kubu": map[string]any{"agency": "MOH", "source": "token:x", "protocol": "hec", "host": "h\"1\n\\é",
			"received": "2026-11-28T01:15:02.000005Z", "time": "2026-11-28T01:15:02.000005Z"},
		"a": 1.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	back, end, ok := Split(line)
	m.Time = m.Received
	if !ok || !back.Received.Equal(m.Received) || !back.Time.Equal(m.Time) {
		t.Fatalf("Split = %+v, %v", back, ok)
	}
	back.Received, back.Time = m.Received, m.Time
	if diff := cmp.Diff(m, back); diff != "" {
		t.Fatalf("ParseMeta (-want +got):\n%s", diff)
	}
	WithBody(line, end, func(body []byte) {
		if string(body) != "{\"a\":1}\n" {
			t.Errorf("body %q", body)
		}
	})
	if !json.Valid(line) {
		t.Fatalf("WithBody did not restore the line: %s", line)
	}
	empty := AppendLine(nil, []byte(`{}`), &m)
	if err := json.Unmarshal(empty, &got); err != nil {
		t.Fatalf("empty object: %v %s", err, empty)
	}
	_, end, _ = Split(empty)
	WithBody(empty, end, func(body []byte) {
		if string(body) != "{}" {
			t.Errorf("empty body %q", body)
		}
	})
	bare := []byte(`{"EventID":4625}`)
	_, end, ok = Split(bare)
	WithBody(bare, end, func(body []byte) {
		if ok || string(body) != string(bare) {
			t.Errorf("a line without an envelope: ok=%v body %q", ok, body)
		}
	})
}

// TestOwnMetaRenamed: an event's own top-level "@kubu" member cannot pass
// for the envelope (a JSON reader that takes the last duplicate would).
func TestOwnMetaRenamed(t *testing.T) {
	m := Meta{Agency: "MOH", Protocol: "bulk", Received: time.Unix(1, 0)}
	line := AppendLine(nil, []byte(`{"x":{"@kubu":1},"@kubu" :{"agency":"EVIL"},"s":"\"@kubu\""}`), &m)
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	if got["@kubu"].(map[string]any)["agency"] != "MOH" || got[OwnMetaKey].(map[string]any)["agency"] != "EVIL" ||
		got["x"].(map[string]any)["@kubu"] != 1.0 || got["s"] != `"@kubu"` {
		t.Fatalf("line %s", line)
	}
}

// FuzzNormalise feeds arbitrary documents through normalisation: the
// stored line is always one valid JSON object whose only top-level "@kubu"
// is the envelope, which reads back; or the document is refused; never a
// panic.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `"text"`, `{"Event":{"System":{"EventID":1}}}`, `{"winlog":{"event_id":4688,"channel":"Security","event_data":{"NewProcessName":"x"}}}`,
		"{\n\"x\":\"y\"}", `[]`, `{"@kubu":{"agency":"EVIL"}}`, `{"host":{"name":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var n Normaliser
		obj, host, _, ok := n.Document(doc)
		if !ok {
			return
		}
		m := Meta{Agency: "MOH", Protocol: "hec", Host: host, Received: time.Unix(1, 0)}
		line := AppendLine(nil, obj, &m)
		if bytes.Count(line, []byte("\n")) != 1 || !bytes.HasPrefix(line, []byte(`{"@kubu":{"agency":"MOH"`)) {
			t.Fatalf("bad line %q", line)
		}
		if !json.Valid(line) {
			t.Fatalf("invalid JSON %q from %q", line, doc)
		}
		var top map[string]json.RawMessage
		json.Unmarshal(line, &top)
		var meta Meta
		if err := json.Unmarshal(top[MetaKey], &struct{ Agency *string }{&meta.Agency}); err != nil || meta.Agency != "MOH" {
			t.Fatalf("the envelope is not the line's @kubu: %s", line)
		}
		back, end, ok := Split(line)
		if !ok || back.Agency != "MOH" || back.Host != strings.ToValidUTF8(host, "\uFFFD") {
			t.Fatalf("Split(%s) = %+v %v", line, back, ok)
		}
		WithBody(line, end, func(body []byte) {
			if !json.Valid(body) {
				t.Fatalf("body %q of %q", body, line)
			}
		})
	})
}

func TestParseMeta(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 15, 2, 123000000, time.UTC)
	tests := []struct {
		name string
		line string
		want Meta
		ok   bool
	}{
		{"as intake writes it", string(AppendLine(nil, []byte(`{"a":1}`), &Meta{Agency: "MOH", Source: "test", Protocol: "hec", Host: "dc01", Received: at})),
			Meta{Agency: "MOH", Source: "test", Protocol: "hec", Host: "dc01", Received: at, Time: at}, true},
		{"escapes", `{"@kubu":{"agency":"MOH","host":"a\"b\\c\u00e9\/d"},"x":1}`, Meta{Agency: "MOH", Host: "a\"b\\cé/d"}, true},
		{"no meta", `{"EventID":1}`, Meta{}, false},
		{"truncated", `{"@kubu":{"agency":"MO`, Meta{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseMeta([]byte(tt.line))
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

// FuzzParseMeta: never panics, and on a line made by encoding/json agrees
// with it.
func FuzzParseMeta(f *testing.F) {
	f.Add(`MOH`, `dc01`)
	f.Add(`a"b`, "x\\y\u2028")
	f.Add("\x00", "\xff")
	f.Fuzz(func(t *testing.T, agency, host string) {
		m := map[string]string{"agency": agency, "host": host}
		b, _ := json.Marshal(map[string]any{"@kubu": m})
		got, ok := ParseMeta(b)
		var back struct {
			K map[string]string `json:"@kubu"`
		}
		json.Unmarshal(b, &back)
		if !ok || got.Agency != back.K["agency"] || got.Host != back.K["host"] {
			t.Fatalf("ParseMeta(%s) = %+v %v, want %q %q", b, got, ok, back.K["agency"], back.K["host"])
		}
		ParseMeta([]byte(agency + host)) // arbitrary bytes must not panic
	})
}

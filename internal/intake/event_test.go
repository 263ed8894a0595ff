package intake

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		{"winlogbeat ECS", string(winlogbeat), map[string]any{"EventID": 1.0}, "", "", "winlog"},
		{"epoch milliseconds", `{"timestamp":1795828502123}`, map[string]any{}, "", "2026-11-28T01:15:02.123Z", ""},
	}
	var n normaliser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, host, ts, ok := n.document([]byte(tt.doc))
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
	if _, _, _, ok := n.document([]byte(`{"broken`)); ok {
		t.Error("broken JSON must not normalise")
	}
}

func TestAppendEvent(t *testing.T) {
	m := Meta{Agency: "MOH", Source: "token:x", Protocol: ProtoHEC, Host: "h\"1\n", Received: time.Unix(1795828502, 0), Time: time.Time{}}
	line := appendEvent(nil, []byte(` { "a" : 1 } `), &m)
	if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("not one NDJSON line: %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	want := map[string]any{
		"@kubu": map[string]any{"agency": "MOH", "source": "token:x", "protocol": "hec", "host": "h\"1\n",
			"received": "2026-11-28T01:15:02Z", "time": "2026-11-28T01:15:02Z"},
		"a": 1.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	empty := appendEvent(nil, []byte(`{}`), &m)
	if err := json.Unmarshal(empty, &got); err != nil {
		t.Fatalf("empty object: %v %s", err, empty)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\slash", "ctl\x00\x1f\x7f", "bad utf8 \xff\xfe", "line\u2028sep", "ünïcødé 🛰"} {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q round-tripped to %q", s, back)
		}
		if strings.ContainsAny(string(b), "\n\r") {
			t.Errorf("%q encoded across lines", s)
		}
	}
}

// FuzzNormalise feeds arbitrary documents through normalisation: the
// stored line is always one valid JSON object with "@kubu" first, or the
// document is refused; never a panic.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `"text"`, `{"Event":{"System":{"EventID":1}}}`, `{"winlog":{"event_id":4688,"channel":"Security","event_data":{"NewProcessName":"x"}}}`,
		"{\n\"x\":\"y\"}", `[]`, `{"@kubu":{"agency":"EVIL"}}`, `{"host":{"name":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var n normaliser
		obj, _, _, ok := n.document(doc)
		if !ok {
			return
		}
		var p pending
		p.reset("MOH")
		p.add(obj, &Meta{Agency: "MOH", Protocol: ProtoHEC, Received: time.Unix(1, 0)})
		line := p.buf
		if bytes.Count(line, []byte("\n")) != 1 || !bytes.HasPrefix(line, []byte(`{"@kubu":{"agency":"MOH"`)) {
			t.Fatalf("bad line %q", line)
		}
		if !json.Valid(line) {
			t.Fatalf("invalid JSON %q from %q", line, doc)
		}
	})
}

// FuzzParseSourceTable: the parser never panics, and what it accepts looks
// up without panicking.
func FuzzParseSourceTable(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8 MOH\n", "cert:x MOE # c\n", "::1 MOH\n192.0.2.1 MOF\n", "bad", "1.2.3.4/40 X\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := ParseSourceTable(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, n := range tb.nets {
			if got, ok := tb.Lookup(n.prefix.Addr()); !ok || got == "" {
				t.Fatalf("a listed network does not look up: %v", n.prefix)
			}
		}
	})
}

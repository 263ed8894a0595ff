package intake

import (
	"github.com/kubu-gov/kubu/internal/event"

	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/intake/hec"
)

// storeHEC decodes one HEC envelope and returns the NDJSON line kubu stores
// for it (what the handler appends), without the "@kubu" member, as a JSON
// object.
func storeHEC(t *testing.T, envelope []byte) (line []byte, fields map[string]any, ok bool) {
	t.Helper()
	evs, err := hec.DecodeEvents(envelope, hec.Metadata{})
	if err != nil || len(evs) != 1 {
		return nil, nil, false
	}
	var n normaliser
	m := Meta{Agency: "MOH", Source: "token:t", Protocol: ProtoHEC, Received: timeZero()}
	obj := n.hecObject(&evs[0], &m)
	if obj == nil {
		return nil, nil, false
	}
	line = event.AppendLine(nil, obj, &m)
	return line, withoutMeta(t, line, &m), true
}

// withoutMeta checks that line starts with its "@kubu" member and returns
// the rest of the object decoded.
func withoutMeta(t *testing.T, line []byte, m *Meta) map[string]any {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("stored line is not JSON: %s", line)
	}
	head := event.AppendLine(nil, []byte("{}"), m) // `{"@kubu":{…}}` + "\n"
	head = head[:len(head)-2]
	if !bytes.HasPrefix(line, head) {
		t.Fatalf("stored line does not start with its @kubu member:\n%s\nwant prefix %s", line, head)
	}
	rest := append([]byte{'{'}, bytes.TrimPrefix(line[len(head):], []byte(","))...)
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("stored fields are not a JSON object: %v\n%s", err, rest)
	}
	return out
}

// TestHECMetadataAfterNestedObject is the regression test for events that
// end with a nested object and carry source, sourcetype, index or fields:
// every closing brace at the end used to be stripped before the metadata
// was appended, so the stored JSON was broken.
func TestHECMetadataAfterNestedObject(t *testing.T) {
	tests := []struct{ name, envelope, want string }{
		{"nested object last, source",
			`{"event":{"user":{"name":"alice","groups":{"admin":true}}},"source":"auth.log"}`,
			`{"user":{"name":"alice","groups":{"admin":true}},"source":"auth.log"}`},
		{"nested array last, every metadata",
			`{"event":{"a":1,"b":[{"c":{}}]},"source":"s","sourcetype":"st","index":"main","fields":{"f":"v","g":["x","y"]}}`,
			`{"a":1,"b":[{"c":{}}],"source":"s","sourcetype":"st","index":"main","f":"v","g":["x","y"]}`},
		{"braces inside a string at the end",
			`{"event":{"msg":"}}} "},"index":"i"}`,
			`{"msg":"}}} ","index":"i"}`},
		{"event field wins over metadata of the same name",
			`{"event":{"source":"own","x":{"y":1}},"source":"meta","fields":{"source":"f","z":"1","z2":"2"}}`,
			`{"source":"own","x":{"y":1},"z":"1","z2":"2"}`},
		{"a field repeated and named like metadata is added once",
			`{"event":{"x":{}},"sourcetype":"st","fields":{"sourcetype":"f","k":"1","k":"2"}}`,
			`{"x":{},"sourcetype":"st","k":"1"}`},
		{"string event", `{"event":"hello","source":"s"}`, `{"message":"hello","source":"s"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, ok := storeHEC(t, []byte(tt.envelope))
			if !ok {
				t.Fatal("event not stored")
			}
			var want map[string]any
			dec := json.NewDecoder(strings.NewReader(tt.want))
			dec.UseNumber()
			dec.Decode(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored fields (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzHECMetadata checks that any valid event plus any metadata is stored
// as one valid JSON line whose fields are the event's (as normalised) plus
// each metadata field the event does not have itself.
func FuzzHECMetadata(f *testing.F) {
	f.Add([]byte(`{"a":{"b":{"c":1}}}`), "src", "st", "idx", "f", "v")
	f.Add([]byte(`{"x":[{"y":{}}]}`), "", "", "", "k", "")
	f.Add([]byte(`"plain text"`), "s", "", "", "", "")
	f.Add([]byte(`{}`), "s", "", "", "", "")
	f.Add([]byte(`{"source":{"nested":"}"}}`), "source", "sourcetype", "index", "source", "x")
	f.Add([]byte(`{"Event":{"System":{"EventID":1}}}`), "s", "", "", "", "")
	f.Add([]byte(`[1,{"a":2}]`), "", "st", "", "", "")
	f.Fuzz(func(t *testing.T, event []byte, source, sourcetype, index, field, value string) {
		if !json.Valid(event) {
			return
		}
		env := map[string]any{"event": json.RawMessage(event)}
		for k, v := range map[string]string{"source": source, "sourcetype": sourcetype, "index": index} {
			if v != "" {
				env[k] = v
			}
		}
		if field != "" {
			env["fields"] = map[string]string{field: value}
		}
		envelope, err := json.Marshal(env)
		if err != nil {
			return
		}
		bare, err := json.Marshal(map[string]any{"event": json.RawMessage(event)})
		if err != nil {
			return
		}
		_, base, ok := storeHEC(t, bare)
		if !ok {
			return // a blank event: refused, with or without metadata
		}
		_, got, ok := storeHEC(t, envelope)
		if !ok {
			t.Fatalf("event stored without metadata but not with it: %s", envelope)
		}
		want := base
		// json.Marshal replaced invalid UTF-8 in the metadata; read it back.
		var back struct {
			Source, SourceType, Index string
			Fields                    map[string]string
		}
		json.Unmarshal(envelope, &back)
		add := func(k, v string) {
			if _, has := want[k]; !has && k != "" && k != MetaKey && v != "" {
				want[k] = v
			}
		}
		add("source", back.Source)
		add("sourcetype", back.SourceType)
		add("index", back.Index)
		for k, v := range back.Fields {
			if _, has := want[k]; !has && k != "" && k != MetaKey {
				want[k] = v
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("envelope %s stored fields (-want +got):\n%s", envelope, diff)
		}
	})
}

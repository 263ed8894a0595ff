package evtx

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/corpus"
)

// TestFlattenJSON covers the flat form rules on hand-written nested
// documents.
func TestFlattenJSON(t *testing.T) {
	tests := []struct {
		name, nested, want string
	}{
		{
			"system leaves and attributes",
			`{"Event":{"#attributes":{"xmlns":"x"},"System":{
				"Provider":{"#attributes":{"Name":"P","Guid":"G","EventSourceName":"S"}},
				"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036},
				"TimeCreated":{"#attributes":{"SystemTime":"2026-01-01T00:00:00.000000Z"}},
				"Correlation":{"#attributes":{"ActivityID":"A","RelatedActivityID":"R"}},
				"Security":null,"Channel":"System"}}}`,
			`{"Provider_Name":"P","Provider_Guid":"G","Provider_EventSourceName":"S","EventID_Qualifiers":16384,
				"EventID":7036,"TimeCreated":"2026-01-01T00:00:00.000000Z","Correlation_ActivityID":"A",
				"Correlation_RelatedActivityID":"R","Channel":"System"}`,
		},
		{
			"event data wins a clash with system",
			`{"Event":{"System":{"Channel":"Security","Computer":"h"},"EventData":{"Channel":"other","X":1}}}`,
			`{"Computer":"h","Channel":"other","X":1}`,
		},
		{
			"unnamed data, one and several",
			`{"Event":{"EventData":{"Data":{"#text":"only"},"Binary":"0A0B"},"UserData":{"Data":{"#text":["a","b"]}}}}`,
			`{"Data":["only","a","b"],"Binary":"0A0B"}`,
		},
		{
			"user data leaves, xmlns dropped, nulls kept",
			`{"Event":{"System":{"EventID":1102},"UserData":{"LogFileCleared":{
				"#attributes":{"xmlns":"http://x","Version":"1"},"SubjectUserName":"bob","Empty":null,
				"Nested":{"Deep":3}}}}}`,
			`{"EventID":1102,"LogFileCleared_Version":"1","SubjectUserName":"bob","Empty":null,"Deep":3}`,
		},
		{
			"repeated data keys become an array",
			`{"Event":{"EventData":{"A":"1","A":"2","B":[]}}}`,
			`{"A":["1","2"],"B":[]}`,
		},
		{
			"text of a section and scalar sections",
			`{"Event":{"EventData":{"#text":"free text"},"RenderingInfo":"r","DebugData":null}}`,
			`{"EventData":"free text","RenderingInfo":"r"}`,
		},
		{
			"escaped keys and values pass through",
			`{"Event":{"EventData":{"Key \"q\"":"line\nbreak \u00e9"}}}`,
			`{"Key \"q\"":"line\nbreak é"}`,
		},
		{
			"string-typed system integers become numbers",
			`{"Event":{"System":{"EventID":"1116","Level":"03","Task":"x","EventRecordID":"171",
				"Execution":{"#attributes":{"ProcessID":"4172"}},"Keywords":"0x80"},
				"UserData":{"E":{"#attributes":{"xmlns:auto-ns3":"urn:x"},"N":"5"}}}}`,
			`{"EventID":1116,"Level":"03","Task":"x","EventRecordID":171,"Execution_ProcessID":4172,
				"Keywords":"0x80","N":"5"}`,
		},
		{
			"empty event",
			`{"Event":{}}`,
			`{}`,
		},
		{
			"root of another name",
			`{"Other":{"EventData":{"A":1}}}`,
			`{"A":1}`,
		},
		{
			"root that is not an object",
			`{"Event":[1],"Second":{"A":1}}`,
			`{}`,
		},
		{
			"empty document",
			`{}`,
			`{}`,
		},
		{
			"numbers of every JSON form",
			`{"Event":{"EventData":{"A":-0,"B":1.5e+3,"C":0.25,"D":-12E-2,"E":true,"F":false}}}`,
			`{"A":-0,"B":1.5e+3,"C":0.25,"D":-12E-2,"E":true,"F":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FlattenJSON([]byte(tt.nested), nil)
			if err != nil {
				t.Fatalf("FlattenJSON: %v", err)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			if diff := cmp.Diff(decodeJSON(t, tt.want), decodeJSON(t, string(got))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if keys := jsonKeys(t, got); strings.Join(keys, ",") != strings.Join(jsonKeys(t, []byte(tt.want)), ",") {
				t.Errorf("key order %v, want %v", keys, jsonKeys(t, []byte(tt.want)))
			}
		})
	}
}

// jsonKeys returns the top-level keys of a JSON object in order.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var keys []string
	_, err := members(b, skipSpace(b, 0), 0, func(key []byte, v int) (int, error) {
		keys = append(keys, string(key))
		return skipValue(b, v, 1)
	})
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return keys
}

// TestFlattenJSONErrors checks that malformed input is refused and dst is
// returned unchanged.
func TestFlattenJSONErrors(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `"Event"`, `{"Event":{}} x`, `{"Event":{"A":00}}`, `{"Event":{"A":1.}}`, `{"Event":{"A":-}}`, `{"Event":{"A":}}`,
		`{"Event":{"A":"unterminated}}`, `{"Event":{"A":tru}}`, `{"Event":{"A":"ctl` + "\x01" + `"}}`, `{"Event":{"A":"\0"}}`, `{"Event":{"A":"\u12g4"}}`, `{"Event":{"A":"\`,
		`{"Event":{"A" "b"}}`, `{"Event":{"A":1,}}`, strings.Repeat(`{"a":`, 600) + `1` + strings.Repeat(`}`, 600),
	} {
		dst := []byte("keep")
		got, err := FlattenJSON([]byte(in), dst)
		if err == nil {
			t.Errorf("FlattenJSON(%.40q) accepted it: %s", in, got)
		}
		if string(got) != "keep" {
			t.Errorf("FlattenJSON(%.40q) changed dst to %q", in, got)
		}
	}
}

// TestFlattenRegressionJSON flattens every evtx_dump .json of the Sigma
// regression data and checks it equals our flat form of the .evtx beside it.
func TestFlattenRegressionJSON(t *testing.T) {
	dir := corpus.Path(t, "sigma-regression", "regression_data")
	compared := 0
	for _, path := range evtxFiles(t, dir) {
		rel, _ := filepath.Rel(dir, path)
		want, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".json")
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		docs, err := splitDocs(want)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		r, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		i := 0
		for rec, err := range r.Records() {
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if i >= len(docs) {
				t.Errorf("%s: more records than documents", rel)
				break
			}
			fromJSON, err := FlattenJSON(docs[i], nil)
			if err != nil {
				t.Errorf("%s: document %d: %v", rel, i, err)
				continue
			}
			wantFlat := decodeJSON(t, string(fromJSON)).(map[string]any)
			gotFlat := decodeJSON(t, string(rec.AppendFlatJSON(nil))).(map[string]any)
			if _, ok := knownDiffs[filepath.ToSlash(rel)]; ok {
				for _, k := range []string{"ParentCommandLine", "TimeCreated"} {
					delete(wantFlat, k)
					delete(gotFlat, k)
				}
			}
			if diff := cmp.Diff(wantFlat, gotFlat); diff != "" {
				t.Errorf("%s: record %d (-flattened .json +ours):\n%s", rel, i, diff)
			}
			i++
			compared++
		}
		r.Close()
	}
	t.Logf("compared %d records", compared)
}

// splitDocs splits concatenated JSON documents.
func splitDocs(b []byte) ([][]byte, error) {
	var docs [][]byte
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		docs = append(docs, raw)
	}
	return docs, nil
}

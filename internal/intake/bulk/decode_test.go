package bulk

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// summary is what the tests compare for each item.
type summary struct {
	Line    int
	Action  string
	Index   string
	ID      string
	Source  string
	Doc     string
	ErrType string
	Status  int
}

func decodeAll(t *testing.T, r io.Reader, opt Options) []summary {
	t.Helper()
	d := NewDecoder(r, opt)
	var out []summary
	for {
		it, err := d.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		s := summary{Line: it.Line, Action: it.Action.String(), Index: it.Index, ID: it.ID, Source: string(it.Source), Doc: string(it.Doc)}
		if it.Err != nil {
			s.ErrType, s.Status = it.Err.Cause.Type, it.Err.Status
		}
		out = append(out, s)
		if len(out) > 1000 {
			t.Fatal("decoder does not end")
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		opt  Options
		want []summary
	}{
		{"all four actions",
			`{"index":{"_index":"test","_id":"1"}}
{"field1":"value1"}
{"delete":{"_index":"test","_id":"2"}}
{"create":{"_index":"test","_id":"3"}}
{"field1":"value3"}
{"update":{"_id":"1","_index":"test"}}
{"doc":{"field2":"value2"}}
`, Options{}, []summary{
				{Line: 1, Action: "index", Index: "test", ID: "1", Source: `{"field1":"value1"}`},
				{Line: 3, Action: "delete", Index: "test", ID: "2"},
				{Line: 4, Action: "create", Index: "test", ID: "3", Source: `{"field1":"value3"}`},
				{Line: 6, Action: "update", Index: "test", ID: "1", Source: `{"doc":{"field2":"value2"}}`, Doc: `{"field2":"value2"}`},
			}},
		{"default index from URL, CRLF, blank lines, no final newline",
			"{\"create\":{}}\r\n\r\n{\"a\":1}\r\n{\"index\":{\"_index\":\"other\"}}\n{\"b\":2}",
			Options{DefaultIndex: "logs"}, []summary{
				{Line: 1, Action: "create", Index: "logs", Source: `{"a":1}`},
				{Line: 4, Action: "index", Index: "other", Source: `{"b":2}`},
			}},
		{"bad document fails only its item",
			`{"index":{"_index":"t"}}
{"a":
{"index":{"_index":"t"}}
{"ok":true}
`, Options{}, []summary{
				{Line: 1, Action: "index", Index: "t", Source: `{"a":`, ErrType: "mapper_parsing_exception", Status: 400},
				{Line: 3, Action: "index", Index: "t", Source: `{"ok":true}`},
			}},
		{"document with a number JSON forbids",
			"{\"index\":{\"_index\":\"t\"}}\n{\"a\":01}\n", Options{}, []summary{
				{Line: 1, Action: "index", Index: "t", Source: `{"a":01}`, ErrType: "mapper_parsing_exception", Status: 400},
			}},
		{"document that is not an object",
			"{\"index\":{\"_index\":\"t\"}}\n[1,2]\n", Options{}, []summary{
				{Line: 1, Action: "index", Index: "t", Source: `[1,2]`, ErrType: "mapper_parsing_exception", Status: 400},
			}},
		{"unparseable action line with its document",
			`{"index":
{"a":1}
{"create":{"_index":"t"}}
{"b":2}
`, Options{}, []summary{
				{Line: 1, Action: "index", ErrType: "x_content_parse_exception", Status: 400},
				{Line: 3, Action: "create", Index: "t", Source: `{"b":2}`},
			}},
		{"unknown action followed directly by an action",
			`{"upsert":{"_index":"t"}}
{"create":{"_index":"t"}}
{"b":2}
`, Options{}, []summary{
				{Line: 1, Action: "index", ErrType: "illegal_argument_exception", Status: 400},
				{Line: 2, Action: "create", Index: "t", Source: `{"b":2}`},
			}},
		{"missing document before the next action",
			`{"index":{"_index":"t"}}
{"create":{"_index":"t"}}
{"b":2}
`, Options{}, []summary{
				{Line: 1, Action: "index", Index: "t", ErrType: "action_request_validation_exception", Status: 400},
				{Line: 2, Action: "create", Index: "t", Source: `{"b":2}`},
			}},
		{"missing document at end",
			"{\"index\":{\"_index\":\"t\"}}\n", Options{}, []summary{
				{Line: 1, Action: "index", Index: "t", ErrType: "action_request_validation_exception", Status: 400},
			}},
		{"no index anywhere",
			"{\"index\":{}}\n{\"a\":1}\n", Options{}, []summary{
				{Line: 1, Action: "index", Source: `{"a":1}`, ErrType: "action_request_validation_exception", Status: 400},
			}},
		{"delete without id",
			"{\"delete\":{\"_index\":\"t\"}}\n{\"index\":{\"_index\":\"t\",\"_id\":7}}\n{}\n", Options{}, []summary{
				{Line: 1, Action: "delete", Index: "t", ErrType: "action_request_validation_exception", Status: 400},
				{Line: 2, Action: "index", Index: "t", ID: "7", Source: `{}`},
			}},
		{"action with two keys",
			"{\"index\":{},\"create\":{}}\n{\"a\":1}\n", Options{DefaultIndex: "x"}, []summary{
				{Line: 1, Action: "index", ErrType: "illegal_argument_exception", Status: 400},
			}},
		{"update without doc or script",
			"{\"update\":{\"_index\":\"t\",\"_id\":\"1\"}}\n{\"x\":1}\n", Options{}, []summary{
				{Line: 1, Action: "update", Index: "t", ID: "1", Source: `{"x":1}`, ErrType: "action_request_validation_exception", Status: 400},
			}},
		{"over-long document line",
			"{\"index\":{\"_index\":\"t\"}}\n{\"a\":\"" + strings.Repeat("x", 100) + "\"}\n{\"index\":{\"_index\":\"t\"}}\n{}\n", Options{MaxLine: 50}, []summary{
				{Line: 1, Action: "index", Index: "t", ErrType: "mapper_parsing_exception", Status: 413},
				{Line: 3, Action: "index", Index: "t", Source: `{}`},
			}},
		{"empty body", "", Options{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, strings.NewReader(tt.body), tt.opt)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
			got = decodeAll(t, iotest.OneByteReader(strings.NewReader(tt.body)), tt.opt)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("one-byte reader: items mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeShipperFixtures decodes hand-written bodies in the shapes Fluent
// Bit's es output, Vector's elasticsearch sink and Winlogbeat send.
func TestDecodeShipperFixtures(t *testing.T) {
	tests := []struct {
		file    string
		actions []string
		indexes []string
	}{
		{"fluentbit_es.ndjson", []string{"create", "create"}, []string{"fluent-bit", "fluent-bit"}},
		{"vector_elasticsearch.ndjson", []string{"index", "create"}, []string{"vector-2026.11.28", "logs-generic-default"}},
		{"winlogbeat.ndjson", []string{"create"}, []string{"winlogbeat-8.15.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			items := decodeAll(t, f, Options{})
			var actions, indexes []string
			for _, it := range items {
				if it.ErrType != "" || it.Source == "" {
					t.Errorf("item on line %d failed: %s", it.Line, it.ErrType)
				}
				actions, indexes = append(actions, it.Action), append(indexes, it.Index)
			}
			if diff := cmp.Diff(tt.actions, actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.indexes, indexes); diff != "" {
				t.Errorf("indexes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	d := NewDecoder(io.MultiReader(strings.NewReader("{\"index\":{\"_index\":\"t\"}}\n{}\n{\"index\""), iotest.ErrReader(boom)), Options{})
	if it, err := d.Next(); err != nil || it.Err != nil {
		t.Fatalf("first item: %+v, %v", it, err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		// The partial line before the error is still handed over as an
		// item; the error must come at the latest on the call after.
		if _, err = d.Next(); !errors.Is(err, boom) {
			t.Fatalf("read error not reported: %v", err)
		}
	}
}

package bulk

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/valyala/fastjson"
)

// FuzzDecode checks that decoding always ends, that items come in line
// order, and that every item without an error carries a valid document.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("{\"index\":{\"_index\":\"t\"}}\n{\"a\":1}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := NewDecoder(bytes.NewReader(body), Options{DefaultIndex: "d", MaxLine: 256})
		lines := bytes.Count(body, []byte("\n")) + 1
		last := 0
		for n := 0; ; n++ {
			it, err := d.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if n >= lines {
				t.Fatalf("more items (%d) than lines (%d)", n+1, lines)
			}
			if it.Line <= last {
				t.Fatalf("item line %d after %d", it.Line, last)
			}
			last = it.Line
			if it.Err != nil {
				if it.Err.Status < 400 || it.Err.Cause.Type == "" {
					t.Fatalf("bad item error %+v", it.Err)
				}
				continue
			}
			if it.Index == "" {
				t.Fatalf("item without index and no error")
			}
			if it.Action == ActionDelete {
				continue
			}
			v, err := fastjson.ParseBytes(it.Source)
			if err != nil || v.Type() != fastjson.TypeObject || !json.Valid(it.Source) {
				t.Fatalf("accepted source %q is not a JSON object", it.Source)
			}
			if it.Doc != nil && !json.Valid(it.Doc) {
				t.Fatalf("update doc %q is not valid JSON", it.Doc)
			}
		}
	})
}

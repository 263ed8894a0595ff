package ecs

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzFlatten checks that Flatten never panics, leaves dst alone when it
// refuses, and otherwise appends one valid, flat JSON object without
// repeated keys.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte(`{"winlog":{"channel":"Security","event_id":4624,"event_data":{"TargetUserName":"alice"}}}`))
	var fl Flattener
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, ok := fl.Flatten(doc, []byte("x"))
		if !ok {
			if string(out) != "x" {
				t.Fatalf("dst changed on refusal: %q", out)
			}
			return
		}
		body := out[1:]
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("output %q is not a JSON object: %v", body, err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		keys := map[string]bool{}
		dec.Token() // {
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			k := tok.(string)
			if keys[k] {
				t.Fatalf("key %q repeated in %s", k, body)
			}
			keys[k] = true
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
			if len(skip) > 0 && skip[0] == '{' {
				t.Fatalf("nested object under %q in %s", k, body)
			}
		}
	})
}

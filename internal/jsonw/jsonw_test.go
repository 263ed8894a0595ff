package jsonw

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fastjson"
)

func TestAppendStringIsStandardJSON(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\slash", "ctl\x00\x07\x1f", "tab\tnl\n", "bad utf8 \xff\xfe", "€ and 😀", "</script>"} {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encoded as %s, which is not JSON: %v", s, out, err)
		}
		if s == "bad utf8 \xff\xfe" {
			if back != "bad utf8 \uFFFD\uFFFD" {
				t.Fatalf("invalid UTF-8 became %q", back)
			}
		} else if back != s {
			t.Fatalf("%q round-tripped to %q", s, back)
		}
	}
}

func TestAppendValueRoundTrips(t *testing.T) {
	in := `{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"x\u0001y"},"d":"\u00e9"}`
	v, err := fastjson.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	out := AppendValue(nil, v)
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("output %s is not JSON: %v", out, err)
	}
	if ja, _ := json.Marshal(a); string(ja) != string(mustMarshal(b)) {
		t.Fatalf("round trip changed the value: %s", out)
	}
}

func mustMarshal(v any) []byte { b, _ := json.Marshal(v); return b }

package detect

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMeta(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 15, 2, 123000000, time.UTC)
	tests := []struct {
		name string
		line string
		want eventMeta
		ok   bool
	}{
		{"as intake writes it", string(ev("MOH", "dc01", at, map[string]any{"a": 1})),
			eventMeta{Agency: "MOH", Source: "test", Protocol: "hec", Host: "dc01", Received: at, Time: at}, true},
		{"escapes", `{"@kubu":{"agency":"MOH","host":"a\"b\\c\u00e9\/d"},"x":1}`, eventMeta{Agency: "MOH", Host: "a\"b\\cé/d"}, true},
		{"no meta", `{"EventID":1}`, eventMeta{}, false},
		{"truncated", `{"@kubu":{"agency":"MO`, eventMeta{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseMeta([]byte(tt.line))
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
		got, ok := parseMeta(b)
		var back struct {
			K map[string]string `json:"@kubu"`
		}
		json.Unmarshal(b, &back)
		if !ok || got.Agency != back.K["agency"] || got.Host != back.K["host"] {
			t.Fatalf("parseMeta(%s) = %+v %v, want %q %q", b, got, ok, back.K["agency"], back.K["host"])
		}
		parseMeta([]byte(agency + host)) // arbitrary bytes must not panic
	})
}

package indicators_test

import (
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/indicators"
)

// FuzzParseSources: any sources file is read or refused with an error,
// never a crash, and what is read is well formed.
func FuzzParseSources(f *testing.F) {
	f.Add("sources:\n  - name: a\n    kind: taxii\n    url: https://t.example/api/\n    collection: c\n    every: 15m\n")
	f.Add("sources:\n  - name: b\n    kind: csv\n    url: http://l.example/x.csv\n    columns: [1, 3]\n    ttl: 24h\n")
	f.Add("sources: []\n")
	f.Add("sources:\n  - {name: x, kind: misp, url: 'https://m.example/', password_env: P}\n")
	f.Add("\x00: [")
	f.Fuzz(func(t *testing.T, doc string) {
		cfgs, err := indicators.ParseSources(strings.NewReader(doc), func(string) string { return "secret" })
		if err != nil {
			return
		}
		for _, c := range cfgs {
			if c.Name == "" || c.URL == "" || c.Every <= 0 {
				t.Fatalf("accepted a source without a name, URL or interval: %+v", c)
			}
		}
	})
}

// FuzzSniffFormat never fails and always names a format.
func FuzzSniffFormat(f *testing.F) {
	for _, s := range []string{`{"type":"bundle"}`, `{"Event":{}}`, "1.2.3.4\n", "# x\na,b\n", "", "\ufeff  {"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := indicators.SniffFormat(b)
		if got == "" {
			t.Fatal("no format")
		}
	})
}

// FuzzParseTTL: a TTL is read or refused, and a read one is positive
// unless written as a Go duration.
func FuzzParseTTL(f *testing.F) {
	for _, s := range []string{"24h", "7d", "90m", "0d", "-1d", "99999999999999d", "1h30m", "d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := contain.ParseTTL(s)
		if err == nil && strings.HasSuffix(strings.TrimSpace(s), "d") && d <= 0 {
			t.Fatalf("%q gave %v", s, d)
		}
	})
}

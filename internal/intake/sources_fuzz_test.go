package intake

import (
	"strings"
	"testing"
)

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

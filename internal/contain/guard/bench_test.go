package guard

import (
	"strings"
	"testing"
)

// BenchmarkCheck checks a CIDR and a domain against a policy with an
// allow-list of 1,000 entries.
func BenchmarkCheck(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 500; i++ {
		sb.WriteString("site" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".gov.example\n")
		sb.WriteString("192.0." + string(rune('0'+i%10)) + ".1\n")
	}
	al, err := ParseAllowList(strings.NewReader(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	p := &Policy{Allow: al}
	for b.Loop() {
		if _, err := Check(Target{"cidr", "203.0.113.0/24"}, p); err != nil {
			b.Fatal(err)
		}
		if _, err := Check(Target{"domain", "login.evil.example"}, p); err != nil {
			b.Fatal(err)
		}
	}
}

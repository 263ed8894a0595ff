package edl

import (
	"fmt"
	"testing"
)

// BenchmarkRender renders lists of 100,000 entries.
func BenchmarkRender(b *testing.B) {
	ips := make([]string, 100_000)
	domains := make([]string, 100_000)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		domains[i] = fmt.Sprintf("host%d.evil.example", i)
	}
	b.Run("ip", func(b *testing.B) {
		for b.Loop() {
			Render(IP, ips, Options{})
		}
	})
	b.Run("domain", func(b *testing.B) {
		for b.Loop() {
			Render(Domain, domains, Options{})
		}
	})
}

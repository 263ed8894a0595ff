package rpz

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkUpdateAndTransfer builds a zone of 50,000 blocked domains and
// transfers it (100,002 records) over TCP with the miekg/dns client.
func BenchmarkUpdateAndTransfer(b *testing.B) {
	names := make([]string, 50_000)
	for i := range names {
		names[i] = fmt.Sprintf("host%d.evil.example", i)
	}
	s, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("update", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s.Update(names[i%2:]) // a change every time
		}
	})
	b.Run("axfr", func(b *testing.B) {
		for b.Loop() {
			m := new(dns.Msg)
			m.SetAxfr("rpz.kubu.")
			ch, err := new(dns.Transfer).In(m, s.Addr())
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for env := range ch {
				if env.Error != nil {
					b.Fatal(env.Error)
				}
				n += len(env.RR)
			}
			if n < 100_000 {
				b.Fatal(n)
			}
		}
	})
}

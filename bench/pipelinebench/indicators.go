package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// feedIndicators makes n active indicators shaped like a national feed,
// as the matcher's own benchmark does: 35 % single IPv4 addresses, 5 %
// IPv4 CIDRs (/16–/28), 2 % IPv6, 28 % domains, 8 % URLs, 2 % email
// addresses, 15 % MD5/SHA-1/SHA-256 hashes.
func feedIndicators(n int) []intel.Indicator {
	r := rand.New(rand.NewPCG(7, 7))
	now := time.Now()
	tlds := []string{"com", "net", "org", "ru", "info", "xyz", "top", "io", "cn", "biz"}
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, 5+r.IntN(10))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	hexs := func(n int) string {
		const hexd = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = hexd[r.IntN(16)]
		}
		return string(b)
	}
	out := make([]intel.Indicator, 0, n)
	for i := 0; i < n; i++ {
		var o intel.Observable
		switch k := r.IntN(100); {
		case k < 35:
			o = intel.Observable{Type: intel.IP, Value: netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}).String()}
		case k < 40:
			bits := []int{16, 20, 22, 24, 24, 24, 28}[r.IntN(7)]
			a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), 0})
			o = intel.Observable{Type: intel.IP, Value: netip.PrefixFrom(a, bits).Masked().String()}
		case k < 42:
			var b [16]byte
			b[0], b[1] = 0x24, byte(r.IntN(256))
			for j := 2; j < 16; j++ {
				b[j] = byte(r.IntN(256))
			}
			o = intel.Observable{Type: intel.IP, Value: netip.PrefixFrom(netip.AddrFrom16(b), []int{48, 64, 128}[r.IntN(3)]).Masked().String()}
		case k < 70:
			o = intel.Observable{Type: intel.Domain, Value: word() + "." + tlds[r.IntN(len(tlds))]}
		case k < 78:
			o = intel.Observable{Type: intel.URL, Value: "http://" + word() + "." + tlds[r.IntN(len(tlds))] + "/" + word() + ".php"}
		case k < 80:
			o = intel.Observable{Type: intel.Email, Value: word() + "@" + word() + ".com"}
		case k < 85:
			o = intel.Observable{Type: intel.MD5, Value: hexs(32)}
		case k < 88:
			o = intel.Observable{Type: intel.SHA1, Value: hexs(40)}
		default:
			o = intel.Observable{Type: intel.SHA256, Value: hexs(64)}
		}
		out = append(out, intel.Indicator{ID: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i), Observable: o, Confidence: 80,
			ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(30 * 24 * time.Hour), Modified: now})
	}
	return out
}

package stix

import (
	"net/netip"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
)

// PatternFor writes a STIX pattern naming the observables, one
// observation each, joined with OR; Compile of the result gives them back.
func PatternFor(obs []intel.Observable) string {
	var b strings.Builder
	for i, o := range obs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('[')
		b.WriteString(pathFor(o))
		b.WriteString(" = '")
		b.WriteString(quote(o.Value))
		b.WriteString("']")
	}
	return b.String()
}

func pathFor(o intel.Observable) string {
	switch o.Type {
	case intel.IP:
		if p, err := netip.ParsePrefix(o.Value); err == nil && p.Addr().Is6() {
			return "ipv6-addr:value"
		}
		if a, err := netip.ParseAddr(o.Value); err == nil && a.Is6() {
			return "ipv6-addr:value"
		}
		return "ipv4-addr:value"
	case intel.Domain:
		return "domain-name:value"
	case intel.URL:
		return "url:value"
	case intel.Email:
		return "email-addr:value"
	case intel.MD5:
		return "file:hashes.MD5"
	case intel.SHA1:
		return "file:hashes.'SHA-1'"
	case intel.SHA256:
		return "file:hashes.'SHA-256'"
	case intel.SHA512:
		return "file:hashes.'SHA-512'"
	}
	return "x-kubu-unknown:value"
}

func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

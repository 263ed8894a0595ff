// Package edl renders external dynamic lists: the plain-text block lists
// that firewalls fetch over HTTP (Palo Alto Networks "External Dynamic
// List", Fortinet FortiGate "External Threat Feed", and others that read
// one entry a line).
//
// Three lists, one type each, as the firewalls require:
//
//   - ip: an IPv4 or IPv6 address or CIDR a line ("192.0.2.7",
//     "2001:db8::/32"), sorted by address.
//   - domain: a domain a line, followed by "*.domain" so that the
//     subdomains are blocked too (both products read the wildcard form),
//     sorted.
//   - url: a URL a line without its scheme ("evil.example/login",
//     "evil.example:8443/x?y=1"): both products match URLs without one,
//     so http and https of the same page become one entry; sorted.
//
// Lines end in "\n"; there are no comments or blank lines. The package has
// no dependency on the rest of kubu.
package edl

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
)

// Kind names a list.
type Kind string

// The lists.
const (
	IP     Kind = "ip"
	Domain Kind = "domain"
	URL    Kind = "url"
)

// ParseKind reads "ip", "domain" or "url" (as in /feeds/edl/ip.txt).
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case IP, Domain, URL:
		return k, nil
	}
	return "", fmt.Errorf("no external dynamic list %q (want ip, domain or url)", s)
}

// Options tune Render.
type Options struct {
	// NoWildcards leaves out the "*.domain" lines of the domain list.
	NoWildcards bool
}

// Rejected is a value that is not of the list's type.
type Rejected struct {
	Value  string
	Reason string
}

// Render writes the list of kind from values (normalised or not; each is
// normalised again), de-duplicated and sorted. Values that are not of the
// list's type are left out and returned, so one bad entry never breaks a
// firewall's fetch.
func Render(kind Kind, values []string, opts Options) ([]byte, []Rejected) {
	var rejected []Rejected
	var b bytes.Buffer
	switch kind {
	case IP:
		var ps []netip.Prefix
		for _, v := range values {
			p, err := intel.ParseIP(v)
			if err != nil {
				rejected = append(rejected, Rejected{v, err.Error()})
				continue
			}
			ps = append(ps, p)
		}
		slices.SortFunc(ps, func(a, b netip.Prefix) int {
			if c := a.Addr().Compare(b.Addr()); c != 0 {
				return c
			}
			return a.Bits() - b.Bits()
		})
		ps = slices.Compact(ps)
		for _, p := range ps {
			if p.IsSingleIP() {
				b.WriteString(p.Addr().String())
			} else {
				b.WriteString(p.String())
			}
			b.WriteByte('\n')
		}
	case Domain:
		var ds []string
		for _, v := range values {
			d, err := intel.Normalise(intel.Domain, v)
			if err != nil {
				rejected = append(rejected, Rejected{v, err.Error()})
				continue
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		for _, d := range slices.Compact(ds) {
			b.WriteString(d)
			b.WriteByte('\n')
			if !opts.NoWildcards {
				b.WriteString("*.")
				b.WriteString(d)
				b.WriteByte('\n')
			}
		}
	case URL:
		var us []string
		for _, v := range values {
			u, err := intel.NormaliseURL(v)
			if err != nil {
				rejected = append(rejected, Rejected{v, err.Error()})
				continue
			}
			us = append(us, u[strings.Index(u, "://")+3:])
		}
		slices.Sort(us)
		for _, u := range slices.Compact(us) {
			b.WriteString(u)
			b.WriteByte('\n')
		}
	default:
		for _, v := range values {
			rejected = append(rejected, Rejected{v, fmt.Sprintf("no external dynamic list %q", kind)})
		}
	}
	return b.Bytes(), rejected
}

// KindOf says on which list an observable of type t belongs ("" for none:
// hashes and email addresses have no list).
func KindOf(t intel.Type) Kind {
	switch t {
	case intel.IP:
		return IP
	case intel.Domain:
		return Domain
	case intel.URL:
		return URL
	}
	return ""
}

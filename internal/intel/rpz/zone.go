// Package rpz serves a DNS Response Policy Zone: the blocked domains as a
// zone that resolvers (BIND, Unbound, PowerDNS Recursor, Knot Resolver)
// load as secondaries by AXFR and use to answer NXDOMAIN for those names
// and their subdomains.
//
// Each blocked domain NAME is two records, NAME.ZONE CNAME . (the name)
// and *.NAME.ZONE CNAME . (its subdomains); the apex has an SOA and an NS.
// Every change of the set gives a new, larger SOA serial (the Unix time,
// or the previous serial plus one) and sends a DNS NOTIFY to the
// configured secondaries, which then transfer the zone again.
//
// The package uses github.com/miekg/dns and has no dependency on the rest
// of kubu.
package rpz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/miekg/dns"
)

// zone is one immutable version of the zone.
type zone struct {
	origin string // "rpz.kubu."
	serial uint32
	names  []string            // blocked domains, sorted, without the origin
	byName map[string]struct{} // the same, for lookups
	soa    *dns.SOA
	ns     *dns.NS
}

func (s *Server) newZone(names []string, serial uint32) *zone {
	z := &zone{origin: s.cfg.Zone, serial: serial, names: names, byName: make(map[string]struct{}, len(names))}
	for _, n := range names {
		z.byName[n] = struct{}{}
	}
	z.soa = &dns.SOA{
		Hdr:     dns.RR_Header{Name: z.origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: s.cfg.TTL},
		Ns:      s.cfg.NS,
		Mbox:    s.cfg.Mbox,
		Serial:  serial,
		Refresh: s.cfg.Refresh,
		Retry:   s.cfg.Retry,
		Expire:  s.cfg.Expire,
		Minttl:  s.cfg.TTL,
	}
	z.ns = &dns.NS{Hdr: dns.RR_Header{Name: z.origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: s.cfg.TTL}, Ns: s.cfg.NS}
	return z
}

func (z *zone) cname(owner string, ttl uint32) *dns.CNAME {
	return &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: "."}
}

// records returns the zone's records in transfer order: SOA, NS, then two
// CNAMEs per name (the closing SOA is the caller's).
func (z *zone) records() []dns.RR {
	rrs := make([]dns.RR, 0, 2+2*len(z.names))
	rrs = append(rrs, z.soa, z.ns)
	for _, n := range z.names {
		rrs = append(rrs, z.cname(n+"."+z.origin, z.soa.Minttl), z.cname("*."+n+"."+z.origin, z.soa.Minttl))
	}
	return rrs
}

// Records returns the text of the zone as it is now, one record a line
// (for logs, tests and `dig`-less inspection).
func (s *Server) Records() []string {
	z := s.cur.Load()
	var out []string
	for _, rr := range z.records() {
		out = append(out, rr.String())
	}
	return out
}

// cleanNames normalises, de-duplicates and sorts the domains, and leaves
// out those that would make an owner name longer than DNS allows.
func cleanNames(origin string, domains []string) ([]string, []string) {
	var names, rejected []string
	for _, d := range domains {
		n, err := intel.Normalise(intel.Domain, d)
		if err != nil {
			rejected = append(rejected, fmt.Sprintf("%q: %v", d, err))
			continue
		}
		// "*." + name + "." + origin must fit in 255 octets on the wire
		// (254 characters of text with the final dot).
		if len("*."+n+"."+origin) > 254 {
			rejected = append(rejected, fmt.Sprintf("%q: too long under %s", d, origin))
			continue
		}
		if _, ok := dns.IsDomainName(n + "." + origin); !ok {
			rejected = append(rejected, fmt.Sprintf("%q: not a DNS name", d))
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Compact(names), rejected
}

// inZone returns the part of qname before the origin ("" for the apex),
// and whether qname is in the zone at all.
func (z *zone) inZone(qname string) (string, bool) {
	q := strings.ToLower(dns.Fqdn(qname))
	if q == z.origin {
		return "", true
	}
	rel, ok := strings.CutSuffix(q, "."+z.origin)
	return rel, ok
}

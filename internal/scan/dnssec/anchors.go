package dnssec

import (
	"fmt"
	"io"

	"github.com/miekg/dns"
)

// rootAnchors are the root zone's key-signing keys as DS records (IANA
// root-anchors.xml: KSK-2017 and KSK-2024).
var rootAnchors = []string{
	". 86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	". 86400 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
}

// RootAnchors returns the built-in root trust anchors.
func RootAnchors() []dns.RR {
	out := make([]dns.RR, 0, len(rootAnchors))
	for _, s := range rootAnchors {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		out = append(out, rr)
	}
	return out
}

// ParseAnchors reads DS and DNSKEY records in zone-file form; any other
// record type, or a DNSKEY that is not a zone key, is an error.
func ParseAnchors(r io.Reader, file string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(r, ".", file)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch k := rr.(type) {
		case *dns.DS:
		case *dns.DNSKEY:
			if k.Flags&dns.ZONE == 0 {
				return nil, fmt.Errorf("%s: DNSKEY for %s is not a zone key", file, k.Hdr.Name)
			}
		default:
			return nil, fmt.Errorf("%s: a trust anchor must be a DS or DNSKEY record, not %s", file, dns.TypeToString[rr.Header().Rrtype])
		}
		out = append(out, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no DS or DNSKEY record", file)
	}
	return out, nil
}

// anchorSet groups anchors by zone.
func anchorSet(rrs []dns.RR) map[string][]dns.RR {
	m := map[string][]dns.RR{}
	for _, rr := range rrs {
		z := dns.CanonicalName(rr.Header().Name)
		m[z] = append(m[z], rr)
	}
	return m
}

// closestAnchor returns the deepest anchored zone that encloses name.
func closestAnchor(anchors map[string][]dns.RR, name string) (string, bool) {
	name = dns.CanonicalName(name)
	for {
		if _, ok := anchors[name]; ok {
			return name, true
		}
		if name == "." {
			return "", false
		}
		name = parent(name)
	}
}

// parent returns the name one label up ("." for a top-level name).
func parent(name string) string {
	idx := dns.Split(name)
	if len(idx) < 2 {
		return "."
	}
	return name[idx[1]:]
}

// below returns the name one label below zone on the way down to name
// (name must be under zone).
func below(zone, name string) string {
	idx := dns.Split(name)
	nz := dns.CountLabel(zone)
	nl := len(idx)
	return name[idx[nl-nz-1]:]
}

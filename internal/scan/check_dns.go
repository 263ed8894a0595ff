package scan

import (
	"context"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/kubu-gov/kubu/internal/scan/dnssec"
	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// checkDNS looks up A, AAAA, MX, TXT and CAA with validation; the DNSSEC
// state is the worst of the answers (bogus > insecure > secure).
func (t *target) checkDNS(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, t.s.o.Timeouts.Check)
	defer cancel()
	d := &facts.DNS{Addresses: []string{}, CAA: []string{}, WWW: []string{}}
	status := dnssec.Secure
	reason := ""
	note := func(a dnssec.Answer) {
		rank := map[dnssec.Status]int{dnssec.Secure: 0, dnssec.Insecure: 1, dnssec.Bogus: 2}
		if rank[a.Status] > rank[status] {
			status, reason = a.Status, a.Reason
		}
	}
	ok := false
	for _, q := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypeTXT, dns.TypeCAA} {
		a, err := t.s.val.Lookup(ctx, t.name, q)
		if err != nil {
			t.fail("dns."+strings.ToLower(dns.TypeToString[q]), err)
			continue
		}
		ok = true
		note(a)
		for _, rr := range a.RRs {
			switch v := rr.(type) {
			case *dns.A:
				d.Addresses = append(d.Addresses, v.A.String())
			case *dns.AAAA:
				d.Addresses = append(d.Addresses, v.AAAA.String())
			case *dns.MX:
				if h := strings.TrimSuffix(strings.ToLower(v.Mx), "."); h != "" {
					t.mx = append(t.mx, h)
				}
			case *dns.TXT:
				t.txt = append(t.txt, strings.Join(v.Txt, ""))
			case *dns.CAA:
				d.CAA = append(d.CAA, v.Tag+" "+v.Value)
			}
		}
	}
	sort.Strings(t.mx)
	t.mx = compactStrings(t.mx)
	if !ok {
		return // every lookup failed: dns is not measured (null)
	}
	if www, err := t.s.addresses(ctx, "www."+t.name); err == nil {
		for _, ip := range www {
			d.WWW = append(d.WWW, ip.String())
		}
	}
	d.DNSSEC, d.Reason = string(status), reason
	t.r.DNS = d
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

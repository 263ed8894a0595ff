package dnssec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/kubu-gov/kubu/internal/scan/dnssec"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

func TestValidator(t *testing.T) {
	f, err := farm.New(80)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, rr := range []string{
		"a.signed.kubu.test. 300 IN A 192.0.2.1",
		"b.unsigned.kubu.test. 300 IN A 192.0.2.2",
		"c.broken.kubu.test. 300 IN A 192.0.2.3",
		"d.kubu.test. 300 IN TXT \"v=spf1 -all\"",
	} {
		if err := f.DNS.Add(rr); err != nil {
			t.Fatal(err)
		}
	}
	anchors, err := dnssec.ParseAnchors(strings.NewReader(f.AnchorText()), "anchor")
	if err != nil {
		t.Fatal(err)
	}
	v := dnssec.NewValidator(dnssec.NewClient(f.DNS.Addr, 0), anchors)
	cases := []struct {
		name   string
		qtype  uint16
		status dnssec.Status
		n      int
	}{
		{"a.signed.kubu.test", dns.TypeA, dnssec.Secure, 1},
		{"a.signed.kubu.test", dns.TypeAAAA, dnssec.Secure, 0}, // signed proof of no data
		{"missing.signed.kubu.test", dns.TypeA, dnssec.Secure, 0},
		{"d.kubu.test", dns.TypeTXT, dnssec.Secure, 1},
		{"b.unsigned.kubu.test", dns.TypeA, dnssec.Insecure, 1},
		{"c.broken.kubu.test", dns.TypeA, dnssec.Bogus, 1},
	}
	for _, c := range cases {
		a, err := v.Lookup(context.Background(), c.name, c.qtype)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Status != c.status || len(a.RRs) != c.n {
			t.Errorf("%s %s: %s with %d records (%s), want %s with %d", c.name, dns.TypeToString[c.qtype], a.Status, len(a.RRs), a.Reason, c.status, c.n)
		}
	}
	// Without the farm's anchor the root anchor is the only one, and the
	// farm cannot prove the root's keys: bogus, never secure.
	v2 := dnssec.NewValidator(dnssec.NewClient(f.DNS.Addr, 0), nil)
	if a, err := v2.Lookup(context.Background(), "a.signed.kubu.test", dns.TypeA); err != nil || a.Status == dnssec.Secure {
		t.Errorf("without the anchor: %v %v", a.Status, err)
	}
	if _, err := dnssec.ParseAnchors(strings.NewReader("kubu.test. 300 IN A 192.0.2.1\n"), "bad"); err == nil {
		t.Errorf("an A record was accepted as a trust anchor")
	}
}

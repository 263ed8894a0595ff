package scan_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// TestRefuse: an address the Refuse hook turns down is never connected to;
// every check that needed it reports the refusal, and DNS (which goes only
// to the resolver) is still measured. Then the farm replaces the target
// with a better one and a rescan sees the change.
func TestRefuse(t *testing.T) {
	f, err := farm.New(84)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	bad := farm.Good("refused")
	bad.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10} // and Go's default suites
	st, err := f.Add(bad)
	if err != nil {
		t.Fatal(err)
	}
	o := options(f)
	o.Refuse = func(ip net.IP) error {
		if ip.Equal(st.IP) {
			return errors.New("refused by policy")
		}
		return nil
	}
	s, err := scan.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	r, err := s.Scan(context.Background(), st.Name)
	if err != nil {
		t.Fatal(err)
	}
	if r.DNS == nil || len(r.DNS.Addresses) == 0 {
		t.Fatalf("dns not measured: %+v", r.DNS)
	}
	if r.TLS != nil {
		t.Errorf("tls measured through a refused address: %+v", r.TLS)
	}
	refused := map[string]bool{}
	for _, e := range r.Errors {
		if strings.Contains(e.Error, "refused by policy") {
			refused[e.Check] = true
		}
	}
	for _, c := range []string{"tls", "mail.starttls"} {
		if !refused[c] {
			t.Errorf("check %s does not report the refusal; errors %+v", c, r.Errors)
		}
	}

	// Without the hook: TLS 1.0 is seen; after the owner fixes the site,
	// a rescan no longer sees it.
	o.Refuse = nil
	s2, err := scan.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Close)
	r, err = s2.Scan(context.Background(), st.Name)
	if err != nil || r.TLS == nil || !strings.Contains(strings.Join(r.TLS.Weak, " "), "tls1.0") {
		t.Fatalf("before the fix: %v %+v", err, r.TLS)
	}
	if _, err := f.Replace(st, farm.Good("refused")); err != nil {
		t.Fatal(err)
	}
	r, err = s2.Scan(context.Background(), st.Name)
	if err != nil || r.TLS == nil || strings.Contains(strings.Join(r.TLS.Weak, " "), "tls1.0") || len(r.Errors) > 0 {
		t.Fatalf("after the fix: %v %+v %+v", err, r.TLS, r.Errors)
	}
	// A scanner that runs for months keeps no state for addresses it is
	// done with (connections kept alive for reuse still hold theirs).
	s2.Close()
	if n := s2.SlotsForTest(); n != 0 {
		t.Fatalf("%d addresses still have politeness slots after the scans", n)
	}
}

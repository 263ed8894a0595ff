package scan_test

import (
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// A name without its own DMARC record falls under its organizational
// domain's record, whose sp= applies (RFC 7489 §6.6.3).
func TestDMARCOrganizationalDomain(t *testing.T) {
	f, err := farm.New(81)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if err := f.DNS.Add(`_dmarc.kubu.test. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@kubu.test"`); err != nil {
		t.Fatal(err)
	}
	tg := farm.Good("inherits")
	tg.DMARC = ""
	st, err := f.Add(tg)
	if err != nil {
		t.Fatal(err)
	}
	own, err := f.Add(farm.Good("own"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scan.New(options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Scan(context.Background(), st.Name)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Mail.DMARC
	if d.Domain != "kubu.test" || d.Record == nil || *d.P != "reject" || *d.Policy != "quarantine" {
		t.Fatalf("dmarc = %+v", d)
	}
	if *r.Verdicts.BOD.Mail != "fail" || *r.Verdicts.InternetNL.Mail != "pass" {
		t.Errorf("bod mail %s (want fail: quarantine is not reject), internet.nl mail %s (want pass)", *r.Verdicts.BOD.Mail, *r.Verdicts.InternetNL.Mail)
	}
	r, err = s.Scan(context.Background(), own.Name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Mail.DMARC.Domain != own.Name || *r.Mail.DMARC.Policy != "reject" {
		t.Errorf("own record: %+v", r.Mail.DMARC)
	}
}

package mailauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zone is an in-memory DNS for the evaluator's table tests; the scanner's
// farm tests run the same code over a real DNS server.
type zone map[string][]string // "TXT name" → values

func (z zone) get(t, name string) ([]string, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	v := z[t+" "+name]
	if len(v) == 1 && v[0] == "SERVFAIL" {
		return nil, errors.New("servfail")
	}
	return v, nil
}
func (z zone) TXT(_ context.Context, n string) ([]string, error) { return z.get("TXT", n) }
func (z zone) MX(_ context.Context, n string) ([]string, error)  { return z.get("MX", n) }
func (z zone) IP(_ context.Context, n string) ([]net.IP, error) {
	v, err := z.get("A", n)
	var out []net.IP
	for _, s := range v {
		out = append(out, net.ParseIP(s))
	}
	return out, err
}
func (z zone) PTR(_ context.Context, ip net.IP) ([]string, error) { return z.get("PTR", ip.String()) }

func TestCheckHost(t *testing.T) {
	z := zone{
		"TXT a.test":                   {"v=spf1 ip4:192.0.2.0/24 -all"},
		"TXT inc.test":                 {"v=spf1 include:a.test ~all"},
		"TXT mx.test":                  {"v=spf1 mx -all"},
		"MX mx.test":                   {"mail.mx.test"},
		"A mail.mx.test":               {"198.51.100.7"},
		"TXT redir.test":               {"v=spf1 redirect=a.test"},
		"TXT two.test":                 {"v=spf1 -all", "v=spf1 +all"},
		"TXT bad.test":                 {"v=spf1 ip4:300.1.1.1 -all"},
		"TXT neutral.test":             {"v=spf1 ?all"},
		"TXT macro.test":               {"v=spf1 exists:%{i}.allow.macro.test -all"},
		"A 192.0.2.9.allow.macro.test": {"127.0.0.2"},
		"TXT fail.test":                {"v=spf1 include:servfail.test -all"},
		"TXT servfail.test":            {"SERVFAIL"},
		"TXT noinc.test":               {"v=spf1 include:nothing.test -all"},
		"TXT void.test":                {"v=spf1 a:v1.test a:v2.test a:v3.test -all"},
		"TXT loop.test":                {"v=spf1 include:loop.test -all"},
	}
	// 11 lookups: include chain of length 11.
	for i := 0; i < 11; i++ {
		z[fmt.Sprintf("TXT l%d.test", i)] = []string{fmt.Sprintf("v=spf1 include:l%d.test -all", i+1)}
	}
	z["TXT l11.test"] = []string{"v=spf1 +all"}
	cases := []struct{ domain, ip, want string }{
		{"a.test", "192.0.2.9", Pass},
		{"a.test", "203.0.113.1", Fail},
		{"inc.test", "192.0.2.9", Pass},
		{"inc.test", "203.0.113.1", SoftFail},
		{"mx.test", "198.51.100.7", Pass},
		{"mx.test", "198.51.100.8", Fail},
		{"redir.test", "192.0.2.1", Pass},
		{"two.test", "192.0.2.1", PermError},
		{"bad.test", "192.0.2.1", PermError},
		{"neutral.test", "192.0.2.1", Neutral},
		{"none.test", "192.0.2.1", None},
		{"macro.test", "192.0.2.9", Pass},
		{"macro.test", "192.0.2.10", Fail},
		{"fail.test", "192.0.2.1", TempError},
		{"noinc.test", "192.0.2.1", PermError},
		{"void.test", "192.0.2.1", PermError},
		{"loop.test", "192.0.2.1", PermError},
		{"l0.test", "192.0.2.1", PermError},
		{"l1.test", "192.0.2.1", Pass},
	}
	for _, c := range cases {
		t.Run(c.domain+"/"+c.ip, func(t *testing.T) {
			r := CheckHost(context.Background(), z, net.ParseIP(c.ip), c.domain, "")
			if r.Result != c.want {
				t.Errorf("result = %s (%s), want %s", r.Result, r.Reason, c.want)
			}
		})
	}
}

func TestParseDMARC(t *testing.T) {
	good := []string{
		"v=DMARC1; p=reject; rua=mailto:d@a.test",
		"v=DMARC1;p=none",
		"v=DMARC1; p=quarantine; pct=50; rua=mailto:a@a.test,mailto:b@b.test; adkim=s",
	}
	for _, s := range good {
		if _, err := ParseDMARC(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	d, _ := ParseDMARC(good[2])
	if d.Policy != "quarantine" || d.Percent != 50 || len(d.RUA) != 2 || d.ADKIM != "s" {
		t.Errorf("parsed %+v", d)
	}
	bad := []string{"p=reject", "v=DMARC1; p=maybe", "v=DMARC1; rua=mailto:x@y", "v=DMARC1; pct=200; p=none", "v=DMARC1; p=none; p=reject", "v=DMARC1; p=none; rua=not a uri"}
	for _, s := range bad {
		if _, err := ParseDMARC(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

func seeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		b, _ := os.ReadFile(p)
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
}

func FuzzParseSPF(f *testing.F) {
	seeds(f, "testdata/spf.txt")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSPF(s)
		if err == nil && r == nil {
			t.Fatal("nil record without error")
		}
		if err == nil {
			// A parsed record evaluates without panicking against an empty DNS.
			CheckHost(context.Background(), zone{"TXT x.test": {s}}, net.ParseIP("192.0.2.1"), "x.test", "")
		}
	})
}

func FuzzParseDMARC(f *testing.F) {
	seeds(f, "testdata/dmarc.txt")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDMARC(s)
		if err == nil && (d.Policy == "" || d.Percent < 0 || d.Percent > 100) {
			t.Fatalf("accepted %q as %+v", s, d)
		}
	})
}

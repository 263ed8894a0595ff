package edl

import (
	"testing"

	"github.com/kubu-gov/kubu/internal/intel"
)

func TestRender(t *testing.T) {
	tests := []struct {
		kind     Kind
		opts     Options
		in       []string
		want     string
		rejected int
	}{
		{IP, Options{}, []string{"198.51.100.7", "10.0.0.0/8", "2001:db8::/32", "198.51.100.7/32", "10.1.2.3/8", "192.0.2.1", "bogus", "2001:db8::1"},
			"10.0.0.0/8\n192.0.2.1\n198.51.100.7\n2001:db8::/32\n2001:db8::1\n", 1},
		{Domain, Options{}, []string{"Evil.Example.", "a.example", "evil.example", "not a domain"},
			"a.example\n*.a.example\nevil.example\n*.evil.example\n", 1},
		{Domain, Options{NoWildcards: true}, []string{"b.example", "a.example"}, "a.example\nb.example\n", 0},
		{URL, Options{}, []string{"https://Evil.Example/login", "http://evil.example/login", "http://evil.example:8443/x?y=1#f", "evil.example/noscheme"},
			"evil.example/login\nevil.example:8443/x?y=1\n", 1},
		{IP, Options{}, nil, "", 0},
		{Kind("hash"), Options{}, []string{"x"}, "", 1},
	}
	for _, tc := range tests {
		got, rej := Render(tc.kind, tc.in, tc.opts)
		if string(got) != tc.want || len(rej) != tc.rejected {
			t.Errorf("Render(%s, %q) =\n%q, rejected %v\nwant\n%q, %d rejected", tc.kind, tc.in, got, rej, tc.want, tc.rejected)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, s := range []string{"ip", "domain", "url"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	if _, err := ParseKind("sha256"); err == nil {
		t.Error("ParseKind(sha256) accepted")
	}
	if KindOf(intel.IP) != IP || KindOf(intel.Domain) != Domain || KindOf(intel.URL) != URL || KindOf(intel.MD5) != "" {
		t.Error("KindOf")
	}
}

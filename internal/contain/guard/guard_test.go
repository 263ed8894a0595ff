package guard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

const allowText = `# the government's own resolvers
192.0.2.53
198.51.100.0/24      # the SOC's range
gov.example
*.health.example
account:BreakGlass@gov.example
`

func policy(t *testing.T) *Policy {
	al, err := ParseAllowList(strings.NewReader(allowText))
	if err != nil {
		t.Fatal(err)
	}
	return &Policy{
		Own:        []netip.Prefix{netip.MustParsePrefix("203.0.113.10/32"), netip.MustParsePrefix("2001:db8:feed::/48")},
		OwnDomains: []string{"kubu.gov.example", "soc.example"},
		Allow:      al,
	}
}

func TestCheck(t *testing.T) {
	p := policy(t)
	tests := []struct {
		typ, value string
		rule       string // "" = allowed; "invalid"
		normal     string
	}{
		{"ip", "203.0.113.99", "", "203.0.113.99"},
		{"ip", "::ffff:203.0.113.99", "", "203.0.113.99"},
		{"cidr", "203.0.113.128/25", "", "203.0.113.128/25"},
		{"cidr", "10.1.2.0/24", "", "10.1.2.0/24"},
		{"cidr", "10.1.2.3/24", "", "10.1.2.0/24"},
		{"domain", "Evil.Example.", "", "evil.example"},
		{"url", "HTTP://phish.example/login", "", "http://phish.example/login"},
		{"url", "http://gov.example.evil.example/x", "", "http://gov.example.evil.example/x"},
		{"account", " jdoe@agency.example ", "", "jdoe@agency.example"},

		{"ip", "203.0.113.10", "own", ""},
		{"cidr", "203.0.113.0/24", "own", ""},
		{"cidr", "2001:db8:feed:1::/64", "own", ""},
		{"ip", "192.0.2.53", "allow-list", ""},
		{"cidr", "192.0.2.0/24", "allow-list", ""},
		{"ip", "198.51.100.9", "allow-list", ""},
		{"cidr", "10.0.0.0/8", "private-range", ""},
		{"cidr", "192.168.0.0/23", "private-range", ""},
		{"cidr", "100.64.0.0/16", "private-range", ""},
		{"cidr", "fd00::/48", "private-range", ""},
		{"cidr", "8.0.0.0/8", "range", ""},
		{"cidr", "2a00::/16", "range", ""},
		{"ip", "127.0.0.1", "special", ""},
		{"cidr", "0.0.0.0/0", "special", ""},
		{"cidr", "::/0", "special", ""},
		{"ip", "224.0.0.251", "special", ""},
		{"ip", "fe80::1", "special", ""},
		{"ip", "255.255.255.255", "special", ""},
		{"domain", "gov.example", "own", ""},
		{"domain", "health.example", "allow-list", ""},
		{"domain", "dns.gov.example", "allow-list", ""},
		{"domain", "example", "public-suffix", ""},
		{"domain", "co.uk", "public-suffix", ""},
		{"domain", "clinic.health.example", "allow-list", ""},
		{"domain", "kubu.gov.example", "own", ""},
		{"domain", "soc.example", "own", ""},
		{"url", "https://www.gov.example/form", "allow-list", ""},
		{"url", "https://kubu.gov.example/login", "own", ""},
		{"url", "http://192.0.2.53/x", "allow-list", ""},
		{"url", "http://127.0.0.1:8080/", "special", ""},
		{"account", "breakglass@GOV.example", "allow-list", ""},

		{"ip", "10.0.0.0/24", "invalid", ""},
		{"cidr", "10.0.0.1", "invalid", ""},
		{"ip", "nope", "invalid", ""},
		{"domain", "bad domain", "invalid", ""},
		{"url", "example.com/x", "invalid", ""},
		{"account", "  ", "invalid", ""},
		{"account", "a\nb", "invalid", ""},
		{"hash", "x", "invalid", ""},
	}
	for _, tc := range tests {
		got, err := Check(Target{tc.typ, tc.value}, p)
		var re *RefusedError
		switch tc.rule {
		case "":
			if err != nil {
				t.Errorf("Check(%s %s) = %v, want allowed", tc.typ, tc.value, err)
			} else if got.Value != tc.normal {
				t.Errorf("Check(%s %s) normalised to %q, want %q", tc.typ, tc.value, got.Value, tc.normal)
			}
		case "invalid":
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Check(%s %s) = %v, want ErrInvalid", tc.typ, tc.value, err)
			}
		default:
			if !errors.As(err, &re) || re.Rule != tc.rule {
				t.Errorf("Check(%s %s) = %v, want refused by %s", tc.typ, tc.value, err, tc.rule)
			} else if !strings.HasPrefix(err.Error(), "refused to ") || re.Reason == "" {
				t.Errorf("unclear message %q", err)
			}
		}
	}
}

func TestMessages(t *testing.T) {
	p := policy(t)
	for _, tc := range []struct{ typ, value, want string }{
		{"cidr", "10.0.0.0/8", "refused to block cidr 10.0.0.0/8: a private range wider than /24"},
		{"ip", "192.0.2.53", "refused to block ip 192.0.2.53: it includes address 192.0.2.53, which is on the allow-list"},
		{"domain", "www.health.example", "refused to block domain www.health.example: it covers health.example, which is on the allow-list"},
		{"domain", "gov.example", "refused to block domain gov.example: it covers the platform's own name kubu.gov.example"},
		{"account", "breakglass@gov.example", "refused to disable account breakglass@gov.example: the account is on the allow-list"},
		{"ip", "203.0.113.10", "refused to block ip 203.0.113.10: it includes the platform's own address 203.0.113.10"},
	} {
		_, err := Check(Target{tc.typ, tc.value}, p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Check(%s %s): %v\nwant %s…", tc.typ, tc.value, err, tc.want)
		}
	}
}

func TestLimitsConfigurable(t *testing.T) {
	p := &Policy{PrivateMinBitsV4: 16, MinBitsV4: 8}
	if _, err := Check(Target{"cidr", "10.20.0.0/16"}, p); err != nil {
		t.Errorf("a /16 private range with the limit at /16: %v", err)
	}
	if _, err := Check(Target{"cidr", "8.0.0.0/8"}, p); err != nil {
		t.Errorf("a /8 with the limit at /8: %v", err)
	}
	if _, err := Check(Target{"cidr", "10.0.0.0/15"}, p); err == nil {
		t.Error("a /15 private range with the limit at /16 was allowed")
	}
	if _, err := Check(Target{"ip", "198.51.100.1"}, nil); err != nil {
		t.Errorf("nil policy: %v", err)
	}
}

func TestParseAllowListErrors(t *testing.T) {
	for _, text := range []string{"192.0.2.1 extra\n", "ok.example\nnot valid!\n", "account:\n", "999.1.1.1/8\n"} {
		if _, err := ParseAllowList(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("ParseAllowList(%q) = %v, want an error naming the line", text, err)
		}
	}
	al, err := ParseAllowList(strings.NewReader("\n# only comments\n   \n"))
	if err != nil || len(al.Prefixes)+len(al.Domains)+len(al.Accounts) != 0 {
		t.Errorf("empty list: %+v %v", al, err)
	}
}

// FuzzAllowList checks that the parser never panics and that what it
// accepts protects what it lists.
func FuzzAllowList(f *testing.F) {
	f.Add(allowText)
	f.Fuzz(func(t *testing.T, text string) {
		al, err := ParseAllowList(strings.NewReader(text))
		if err != nil {
			return
		}
		p := &Policy{Allow: al}
		for _, d := range al.Domains {
			if _, err := Check(Target{"domain", d}, p); err == nil {
				t.Fatalf("allow-listed domain %s could be blocked", d)
			}
		}
		for _, a := range al.Accounts {
			if _, err := Check(Target{"account", a}, p); err == nil && strings.TrimSpace(a) == a {
				t.Fatalf("allow-listed account %q could be disabled", a)
			}
		}
	})
}

// FuzzCheck checks that any target gives a normalised value or an error
// of one of the two kinds.
func FuzzCheck(f *testing.F) {
	f.Add("cidr", "10.0.0.0/8")
	f.Add("url", "http://[::1]/x")
	f.Fuzz(func(t *testing.T, typ, value string) {
		_, err := Check(Target{typ, value}, &Policy{})
		var re *RefusedError
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.As(err, &re) {
			t.Fatalf("Check(%q, %q): %v", typ, value, err)
		}
	})
}

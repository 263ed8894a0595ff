package intel

import (
	"testing"
	"time"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		t    Type
		in   string
		want string // "" means an error is expected
	}{
		{IP, "192.0.2.1", "192.0.2.1"},
		{IP, " 192.0.2.1 ", "192.0.2.1"},
		{IP, "10.1.2.3/8", "10.0.0.0/8"},
		{IP, "192.0.2.7/32", "192.0.2.7"},
		{IP, "2001:DB8::0:1", "2001:db8::1"},
		{IP, "[2001:db8::1]", "2001:db8::1"},
		{IP, "2001:db8::/32", "2001:db8::/32"},
		{IP, "::ffff:192.0.2.1", "192.0.2.1"},
		{IP, "::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{IP, "fe80::1%eth0", ""},
		{IP, "192.0.2.256", ""},
		{IP, "example.com", ""},
		{IP, "10.0.0.0/33", ""},
		{Domain, "Evil.Example.COM.", "evil.example.com"},
		{Domain, "*.evil.example", "evil.example"},
		{Domain, "_dmarc.example.org", "_dmarc.example.org"},
		{Domain, "bücher.example", "xn--bcher-kva.example"},
		{Domain, "a..b", ""},
		{Domain, "evil example.com", ""},
		{Domain, "192.0.2.1", ""},
		{Domain, "", ""},
		{Email, "Alice@Evil.Example", "alice@evil.example"},
		{Email, "alice@", ""},
		{Email, "@evil.example", ""},
		{Email, "a b@evil.example", ""},
		{MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{MD5, "d41d8cd98f00b204e9800998ecf8427", ""},
		{SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", ""},
		{URL, "HTTP://Evil.Example:80/a/../b/%7euser?q=1#frag", "http://evil.example/b/~user?q=1"},
		{Type("bogus"), "x", ""},
	}
	for _, tc := range tests {
		got, err := Normalise(tc.t, tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Normalise(%s, %q) = %q, want an error", tc.t, tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalise(%s, %q) = %q, %v; want %q", tc.t, tc.in, got, err, tc.want)
		}
	}
}

func TestNormaliseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.com", "http://example.com/"},
		{"HTTPS://EXAMPLE.COM:443/Path", "https://example.com/Path"},
		{"https://example.com:0443/", "https://example.com/"},
		{"https://example.com:8443/", "https://example.com:8443/"},
		{"http://example.com./x", "http://example.com/x"},
		{"http://user:pw@example.com/x", "http://example.com/x"},
		{"http://bank.example@evil.example/x", "http://evil.example/x"},
		{"http://example.com/%7Efoo%2fbar%2Fbaz", "http://example.com/~foo%2Fbar%2Fbaz"},
		{"http://example.com/a b", "http://example.com/a%20b"},
		{"http://example.com/ä", "http://example.com/%C3%A4"},
		{"http://example.com/%c3%a4", "http://example.com/%C3%A4"},
		{"http://example.com/100%", "http://example.com/100%25"},
		{"http://example.com/a/./b/../c", "http://example.com/a/c"},
		{"http://example.com/../../x", "http://example.com/x"},
		{"http://example.com/a/..", "http://example.com/"},
		{"http://example.com/?", "http://example.com/"},
		{"http://example.com?x=1#y", "http://example.com/?x=1"},
		{"http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"},
		{"http://[::ffff:192.0.2.1]/", "http://192.0.2.1/"},
		{"http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x"},
		{"ftp://files.example:21/f", "ftp://files.example/f"},
		{"hxxp://evil.example/", "hxxp://evil.example/"},
		{"http://bücher.example/", "http://xn--bcher-kva.example/"},
	}
	for _, tc := range tests {
		got, err := NormaliseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormaliseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"example.com/x", "://x", "1http://x/", "http://", "http:///x", "http://ex ample.com/", "http://[::1/", "http://x:abc/", "http://x:123456/", "http://[::1]x/"} {
		if got, err := NormaliseURL(bad); err == nil {
			t.Errorf("NormaliseURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAppendURLHost(t *testing.T) {
	out, hs, he, err := AppendURL([]byte("prefix:"), []byte("https://WWW.Evil.Example:8443/x"))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "prefix:https://www.evil.example:8443/x" || string(out[hs:he]) != "www.evil.example" {
		t.Fatalf("got %q host %q", out, out[hs:he])
	}
	keep := []byte("keep")
	out, _, _, err = AppendURL(keep, []byte("no scheme"))
	if err == nil || string(out) != "keep" {
		t.Fatalf("bad URL: got %q, %v; want dst unchanged and an error", out, err)
	}
}

func TestParseTLP(t *testing.T) {
	for in, want := range map[string]TLP{
		"TLP:WHITE": TLPClear, "clear": TLPClear, "tlp:green": TLPGreen, "Amber": TLPAmber,
		"TLP:AMBER+STRICT": TLPAmberStrict, "amber-strict": TLPAmberStrict, " tlp:red ": TLPRed,
	} {
		got, err := ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseTLP("tlp:ex:chr"); err == nil {
		t.Error("ParseTLP accepted an unknown level")
	}
	if TLPRed.Rank() <= TLPAmberStrict.Rank() || TLP("").Rank() != 0 {
		t.Error("TLP ranks out of order")
	}
}

func TestIndicatorActive(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		from, until time.Time
		want        bool
	}{
		{time.Time{}, time.Time{}, true},
		{now.Add(-time.Hour), time.Time{}, true},
		{now, now.Add(time.Hour), true},
		{now.Add(time.Minute), time.Time{}, false},
		{now.Add(-time.Hour), now, false},
		{now.Add(-time.Hour), now.Add(-time.Minute), false},
	}
	for i, tc := range tests {
		in := Indicator{ValidFrom: tc.from, ValidUntil: tc.until}
		if got := in.Active(now); got != tc.want {
			t.Errorf("case %d: Active = %v, want %v", i, got, tc.want)
		}
	}
}

func TestParseIP(t *testing.T) {
	p, err := ParseIP("192.0.2.9")
	if err != nil || p.String() != "192.0.2.9/32" {
		t.Fatalf("ParseIP(address) = %v, %v", p, err)
	}
	p, err = ParseIP("2001:db8::1/48")
	if err != nil || p.String() != "2001:db8::/48" {
		t.Fatalf("ParseIP(cidr) = %v, %v", p, err)
	}
	if _, err := ParseIP("nope"); err == nil {
		t.Fatal("ParseIP accepted junk")
	}
}

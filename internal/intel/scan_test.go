package intel

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func scanAll(s string) []string {
	var out []string
	Scan([]byte(s), func(k Kind, tok []byte) bool {
		out = append(out, k.String()+" "+string(tok))
		return true
	})
	return out
}

func TestScan(t *testing.T) {
	const sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	const md5 = "D41D8CD98F00B204E9800998ECF8427E"
	tests := []struct {
		in   string
		want []string
	}{
		{"Microsoft-Windows-Sysmon", nil},
		{"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", nil},
		{"2019-03-19T23:34:12.123Z", []string{"domain 12.123Z"}},
		{`C:\Windows\System32\cmd.exe`, []string{"domain cmd.exe"}},
		{"SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=" + md5 + ",SHA256=" + sha256 + ",IMPHASH=00000000000000000000000000000000",
			[]string{"hash DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "hash " + md5, "hash " + sha256, "hash 00000000000000000000000000000000"}},
		{md5, []string{"hash " + md5}},
		{"192.0.2.1", []string{"ipv4 192.0.2.1"}},
		{"192.0.2.1:443", []string{"ipv4 192.0.2.1"}},
		{"src=10.0.0.0/8 dst=192.0.2.300", []string{"ipv4 10.0.0.0/8", "ipv4 192.0.2.300"}},
		{"1.2.3", nil},
		{"1.2.3.4.5", nil},
		{"2001:db8::1", []string{"ipv6 2001:db8::1"}},
		{"[2001:db8::1]:8443", []string{"ipv6 2001:db8::1"}},
		{"fe80:0:0:0:0:0:0:1", []string{"ipv6 fe80:0:0:0:0:0:0:1"}},
		{"::ffff:192.0.2.1", []string{"ipv6 ::ffff:192.0.2.1"}},
		{"00:1A:2B:3C:4D:5E", nil},
		{"12:34:56", nil},
		{"powershell -c iwr http://Evil.Example:8080/a?b=c). next", []string{"url http://Evil.Example:8080/a?b=c"}},
		{"see https://evil.example/x.", []string{"url https://evil.example/x"}},
		{"url=hxxp://x.example/", []string{"url hxxp://x.example/"}},
		{"C://x", nil},
		{"mailto:Alice@Evil.Example", []string{"email Alice@Evil.Example"}},
		{"alice@localhost", nil},
		{"(evil.example).", []string{"domain evil.example"}},
		{"www.evil.example/path/file.php", []string{"domain www.evil.example", "domain file.php"}},
		{"..a", nil},
		{"", nil},
		{"é.example", nil},
	}
	for _, tc := range tests {
		got := scanAll(tc.in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Scan(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestScanStops(t *testing.T) {
	n := 0
	done := Scan([]byte("a.example b.example c.example"), func(Kind, []byte) bool { n++; return n < 2 })
	if done || n != 2 {
		t.Fatalf("Scan went on after fn returned false: done=%v calls=%d", done, n)
	}
}

func TestExtract(t *testing.T) {
	text := `Report (TLP:AMBER). C2 at hxxps://evil[.]example/gate.php and 198.51.100.7, also 203.0.113.0/24.
Dropper cmd.exe wrote payload.dll; SHA256: 9F86D081884C7D659A2FEAEA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A0.
Contact: phish[@]bad.example.org. Mirror: www.evil.example. Not an address: 300.1.1.1. Suffix only: co.uk.
Again: https://evil.example/gate.php`
	got := Extract(text)
	wantStrs := []string{
		"url:https://evil.example/gate.php",
		"ip:198.51.100.7",
		"ip:203.0.113.0/24",
		"sha256:9f86d081884c7d659a2feaea0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
		"email:phish@bad.example.org",
	}
	var gotStrs []string
	for _, o := range got {
		gotStrs = append(gotStrs, o.String())
	}
	// "evil.example" has no ICANN suffix (.example is reserved, not
	// delegated), so www.evil.example is not a domain for Extract.
	if diff := cmp.Diff(wantStrs, gotStrs); diff != "" {
		t.Errorf("Extract (-want +got):\n%s", diff)
	}
	got = Extract("visit Login-Secure.COM.AU or files.evil.co.uk today; cmd.exe is not one")
	var names []string
	for _, o := range got {
		names = append(names, o.String())
	}
	if !slices.Equal(names, []string{"domain:login-secure.com.au", "domain:files.evil.co.uk"}) {
		t.Errorf("Extract domains = %v", names)
	}
}

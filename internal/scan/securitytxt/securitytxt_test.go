package securitytxt

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, body, status string
	}{
		{"valid", "Contact: mailto:security@a.test\nExpires: 2027-01-01T00:00:00Z\nPreferred-Languages: en\n", "valid"},
		{"valid with comments and CRLF", "# hi\r\nContact: https://a.test/report\r\nExpires: 2027-01-01T00:00:00+08:00\r\n", "valid"},
		{"expired", "Contact: mailto:security@a.test\nExpires: 2026-01-01T00:00:00Z\n", "expired"},
		{"no contact", "Expires: 2027-01-01T00:00:00Z\n", "invalid"},
		{"no expires", "Contact: mailto:security@a.test\n", "invalid"},
		{"two expires", "Contact: mailto:s@a.test\nExpires: 2027-01-01T00:00:00Z\nExpires: 2028-01-01T00:00:00Z\n", "invalid"},
		{"bad date", "Contact: mailto:s@a.test\nExpires: tomorrow\n", "invalid"},
		{"http contact", "Contact: http://a.test/\nExpires: 2027-01-01T00:00:00Z\n", "invalid"},
		{"html page", "<html><body>Not found</body></html>\n", "invalid"},
		{"signed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:s@a.test\nExpires: 2027-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n", "valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Parse([]byte(c.body))
			if got := f.Status(now); got != c.status {
				t.Errorf("status = %s, want %s (errors %v)", got, c.status, f.Errors)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.txt")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := Parse(b)
		if len(p.Errors) == 0 && (len(p.Contact) == 0 || p.Expires.IsZero()) {
			t.Fatalf("no errors but missing Contact or Expires")
		}
	})
}

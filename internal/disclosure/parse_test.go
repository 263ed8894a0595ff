package disclosure_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/disclosure"
)

func TestNormaliseURL(t *testing.T) {
	tests := []struct {
		in   string
		want disclosure.Endpoint
	}{
		{"https://HealthHub.example.sg:443/Users/1234/edit?Name=x&id=2#frag",
			disclosure.Endpoint{Host: "healthhub.example.sg", Key: "healthhub.example.sg/users/{id}/edit", Params: []string{"id", "name"}}},
		{"healthhub.example.sg/login", disclosure.Endpoint{Host: "healthhub.example.sg", Key: "healthhub.example.sg/login"}},
		{"http://api.example.sg:8443/v1/items/550e8400-e29b-41d4-a716-446655440000/",
			disclosure.Endpoint{Host: "api.example.sg:8443", Key: "api.example.sg:8443/v1/items/{id}"}},
		{"https://x.example.sg/a/../b/./c", disclosure.Endpoint{Host: "x.example.sg", Key: "x.example.sg/b/c"}},
		{"not a url at all", disclosure.Endpoint{}},
		{"", disclosure.Endpoint{}},
		{"javascript:alert(1)", disclosure.Endpoint{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, disclosure.NormaliseURL(tt.in)); diff != "" {
				t.Fatalf("NormaliseURL(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestSecurityTxt parses the file as an RFC 9116 checker would: known
// fields only, Contact/Canonical/Policy present and absolute, one Expires
// in RFC 3339 less than a year ahead, one Preferred-Languages.
func TestSecurityTxt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	text := disclosure.SecurityTxt{BaseURL: "https://kubu.example.gov/", Contacts: []string{"mailto:security@example.gov", "bad\r\nInjected: x"},
		Encryption: "https://kubu.example.gov/pgp.asc"}.Render(now)
	fields := ParseSecurityTxt(t, text)
	if exp := fields["expires"]; len(exp) != 1 {
		t.Fatalf("Expires %v", exp)
	} else if at, err := time.Parse(time.RFC3339, exp[0]); err != nil || !at.After(now) || at.Sub(now) >= 365*24*time.Hour {
		t.Fatalf("Expires %q must be in RFC 3339 and under a year ahead (%v)", exp[0], err)
	}
	want := map[string][]string{
		"contact":             {"mailto:security@example.gov", "https://kubu.example.gov/vdp"},
		"canonical":           {"https://kubu.example.gov/.well-known/security.txt"},
		"policy":              {"https://kubu.example.gov/vdp"},
		"preferred-languages": {"en"},
		"encryption":          {"https://kubu.example.gov/pgp.asc"},
		"acknowledgments":     {"https://kubu.example.gov/vdp/disclosures"},
	}
	firstExpiry := fields["expires"][0]
	delete(fields, "expires")
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Fatalf("security.txt fields (-want +got):\n%s\n%s", diff, text)
	}
	later := disclosure.SecurityTxt{BaseURL: "https://k"}.Render(now.Add(300 * 24 * time.Hour))
	if ParseSecurityTxt(t, later)["expires"][0] == firstExpiry {
		t.Fatal("Expires does not renew")
	}
}

// ParseSecurityTxt is a strict RFC 9116 reader for tests: it fails on an
// unknown or malformed line and returns field name → values.
func ParseSecurityTxt(t testing.TB, text string) map[string][]string {
	t.Helper()
	known := map[string]bool{"acknowledgments": true, "canonical": true, "contact": true, "encryption": true, "expires": true,
		"hiring": true, "policy": true, "preferred-languages": true, "csaf": true}
	out := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		name = strings.ToLower(name)
		if !ok || !known[name] || strings.TrimSpace(value) == "" {
			t.Fatalf("security.txt line %q is not a known field", line)
		}
		if name != "expires" && name != "preferred-languages" && !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "mailto:") {
			t.Fatalf("%s must be an https: or mailto: URI, got %q", name, value)
		}
		out[name] = append(out[name], value)
	}
	for _, must := range []string{"contact", "expires", "canonical", "policy", "preferred-languages"} {
		if len(out[must]) == 0 {
			t.Fatalf("security.txt has no %s:\n%s", must, text)
		}
	}
	if len(out["expires"]) != 1 || len(out["preferred-languages"]) != 1 {
		t.Fatal("Expires and Preferred-Languages must appear once")
	}
	return out
}

func TestScore(t *testing.T) {
	cwe := 89
	a := disclosure.Report{ID: "a", SystemID: "s", EndpointKey: "h/p", Parameter: "id", CWE: &cwe, Title: "SQL injection in search", Description: "id is injectable"}
	b := a
	b.ID = "b"
	if s := disclosure.Score(a, b, map[string]bool{"sql": true, "injection": true, "search": true, "injectable": true}); s.Score != 1 {
		t.Fatalf("identical reports score %v (%v)", s.Score, s.Reasons)
	}
	c := disclosure.Report{ID: "c", Title: "Weak password policy", Description: "six characters allowed"}
	if s := disclosure.Score(a, c, map[string]bool{"sql": true}); s.Score != 0 {
		t.Fatalf("unrelated reports score %v", s.Score)
	}
}

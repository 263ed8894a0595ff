package ui

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/registry"
)

func TestParseContacts(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []registry.Contact
		problems []string
	}{
		{"empty", "", nil, nil},
		{"blank lines", "\n  \r\n\t\n", nil, nil},
		{"full", "Tan Wei Ming <weiming@health.gov.example> system owner",
			[]registry.Contact{{Name: "Tan Wei Ming", Email: "weiming@health.gov.example", Role: "system owner"}}, nil},
		{"email only", "<ops@example.gov>", []registry.Contact{{Email: "ops@example.gov"}}, nil},
		{"bare email", "ops@example.gov", []registry.Contact{{Email: "ops@example.gov"}}, nil},
		{"no brackets", "Ann Lee ann@example.gov security lead",
			[]registry.Contact{{Name: "Ann Lee", Email: "ann@example.gov", Role: "security lead"}}, nil},
		{"windows line ends", "A <a@example.gov> x\r\nB <b@example.gov>\r\n",
			[]registry.Contact{{Name: "A", Email: "a@example.gov", Role: "x"}, {Name: "B", Email: "b@example.gov"}}, nil},
		{"unclosed", "Ann <ann@example.gov", nil, []string{"line 1 has a < without a closing >"}},
		{"not an email", "Ann <ann> lead", nil, []string{`line 1 has "ann", which is not an email address`}},
		{"no email", "\nAnn Lee, lead", nil, []string{"line 2 has no email address (write Name <email> role)"}},
		{"extra bracket", "Ann <a@example.gov> <b@example.gov>", nil, []string{"line 1 has more than one < or >; names and roles cannot contain them"}},
		{"good and bad", "A <a@example.gov>\nB <b@", []registry.Contact{{Name: "A", Email: "a@example.gov"}}, []string{"line 2 has a < without a closing >"}},
		{"too many lines", strings.Repeat("\n", maxContactLines), nil, []string{"at most 100 lines"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := parseContacts(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("contacts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseContacts: the contacts box never panics, reports a problem or
// a contact for every non-blank line, and what it reads it writes back
// (formatContact) to the same contacts.
func FuzzParseContacts(f *testing.F) {
	for _, s := range []string{"Tan Wei Ming <weiming@health.gov.example> system owner", "ops@example.gov", "<a@b.example>\n\nB <b@c.example> r",
		"Ann <ann", `"quoted <x"@example.gov`, "a@b.example <c@d.example>", "<\"a>b\"@example.gov>", "x@y\r\nz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cs, problems := parseContacts(text)
		if len(problems) > 0 && strings.Count(text, "\n") >= maxContactLines {
			return
		}
		lines := 0
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(cs)+len(problems) != lines {
			t.Fatalf("%d contacts and %d problems for %d lines", len(cs), len(problems), lines)
		}
		if len(cs) == 0 {
			return
		}
		again, problems := parseContacts(formatContacts(cs))
		if len(problems) > 0 {
			t.Fatalf("formatted contacts do not parse: %v\n%q", problems, formatContacts(cs))
		}
		if diff := cmp.Diff(cs, again); diff != "" {
			t.Fatalf("round trip (-first +again):\n%s", diff)
		}
	})
}

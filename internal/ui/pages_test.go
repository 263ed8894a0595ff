package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPagesRender opens every page as a role allowed to see it; each must
// answer 200 with its heading and pass checkPage (which every response
// of the test client goes through).
func TestPagesRender(t *testing.T) {
	e := newEnv(t, false)
	A, B := e.agency["A"], e.agency["B"]
	sysA, fA := e.system["A"], e.finding["A"]
	tests := []struct {
		who, path string
		want      []string
	}{
		{"admin", "/", []string{"Whole of government", "By agency", "MOH", "MOE", "<svg", "Open and overdue findings"}},
		{"analyst", "/", []string{"Whole of government", "By agency"}},
		{"triager", "/", []string{"Whole of government"}},
		{"a-member", "/", []string{"Ministry of Health", "<svg", "Due soonest", "Stored XSS in MOH search"}},
		{"a-admin", "/", []string{"Ministry of Health"}},
		{"researcher", "/", []string{"researcher account", "/vdp"}},
		{"admin", "/agencies", []string{"Add an agency", "MOH", "MOE"}},
		{"a-member", "/agencies", []string{"MOH"}},
		{"admin", "/agencies/new", []string{"Add an agency"}},
		{"admin", "/agencies/" + A.ID, []string{"Ministry of Health", "SLA policy", "Portal MOH", "14 days", "Change the SLA policy"}},
		{"analyst", "/agencies/" + B.ID, []string{"Ministry of Education", "Portal MOE"}},
		{"a-admin", "/agencies/" + A.ID + "/sla", []string{"SLA policy", `value="14"`}},
		{"admin", "/systems", []string{"Portal MOH", "Portal MOE", "Add a system"}},
		{"a-member", "/systems", []string{"Portal MOH"}},
		{"a-admin", "/systems/new", []string{"Add a system", "Owner contacts"}},
		{"admin", "/systems/new", []string{"Choose an agency"}},
		{"a-member", "/systems/" + sysA.ID, []string{"Portal MOH", "moh.gov.example", "Stored XSS in MOH search", "Record a finding"}},
		{"a-admin", "/systems/" + sysA.ID + "/edit", []string{"Change Portal MOH", `value="Portal MOH"`}},
		{"admin", "/findings", []string{"Stored XSS in MOH search", "Stored XSS in MOE search"}},
		{"a-member", "/findings", []string{"Stored XSS in MOH search"}},
		{"triager", "/findings/new", []string{"Record a finding", "MOE — Portal MOE"}},
		{"a-member", "/findings/new?system=" + sysA.ID, []string{"Record a finding", `selected>MOH — Portal MOH`}},
		{"a-member", "/findings/" + fA.ID, []string{"Stored XSS in MOH search", "<strong>search</strong>", "History", "Recorded the finding",
			"Change the status", "Ask to accept the risk", "Add a comment"}},
		{"analyst", "/findings/" + fA.ID, []string{"Stored XSS in MOH search"}},
		{"admin", "/users", []string{"member@moe.example.gov", "Add a person"}},
		{"a-admin", "/users", []string{"member@moh.example.gov"}},
		{"a-admin", "/users/new", []string{"Add a person", "agency-member"}},
		{"admin", "/users/new", []string{"wog-admin", "No agency"}},
		{"a-member", "/account", []string{"member@moh.example.gov", "Create an API token", "Change your password"}},
		{"researcher", "/account", []string{"hacker@example.com"}},
		{"admin", "/audit", []string{"Audit log", "<strong>user.created</strong>", "<strong>finding.created</strong>"}},
		{"a-admin", "/audit", []string{"Audit log", "<strong>finding.created</strong>"}},
	}
	clients := map[string]*client{}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.path, func(t *testing.T) {
			c, ok := clients[tt.who]
			if !ok {
				c = e.signIn(t, tt.who)
				clients[tt.who] = c
			}
			c.t = t
			res := c.get(tt.path)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s as %s answered %d %s, want 200; body:\n%s", tt.path, tt.who, res.status, res.location, excerpt(res.body))
			}
			mustContain(t, tt.path, res.body, tt.want...)
		})
	}
}

// TestNavMarksTheCurrentSection checks the navigation shows the sections
// a role may use, and marks where the user is.
func TestNavMarksTheCurrentSection(t *testing.T) {
	e := newEnv(t, false)
	tests := []struct {
		who, path, current string
		shown, hidden      []string
	}{
		{"admin", "/systems?sort=-created", `href="/systems" aria-current="page"`, []string{`href="/audit"`, `href="/users"`}, nil},
		{"a-member", "/findings/" + e.finding["A"].ID, `href="/findings" aria-current="page"`, nil, []string{`href="/audit"`, `href="/users"`}},
		{"researcher", "/account", `href="/account" aria-current="page"`, nil, []string{`href="/systems"`, `href="/findings"`, `href="/agencies"`}},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.path, func(t *testing.T) {
			res := e.signIn(t, tt.who).get(tt.path)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s answered %d", tt.path, res.status)
			}
			mustContain(t, tt.path, res.body, append(tt.shown, tt.current, `class="skip" href="#main"`)...)
			mustNotContain(t, tt.path, res.body, tt.hidden...)
			if n := strings.Count(res.body, `aria-current="page"`); n != 1 {
				t.Errorf("%d links marked current, want 1", n)
			}
		})
	}
}

// TestOtherAgencyIsNotFound: a record of another agency answers exactly
// like a missing one, on every page and form that names it.
func TestOtherAgencyIsNotFound(t *testing.T) {
	e := newEnv(t, false)
	sysA, fA := e.system["A"], e.finding["A"]
	c := e.signIn(t, "b-member")
	notFound := c.get("/systems/01jzzzzzzzzzzzzzzzzzzzzzzz")
	for _, tt := range []struct{ method, path string }{
		{"GET", "/systems/" + sysA.ID},
		{"GET", "/findings/" + fA.ID},
		{"GET", "/agencies/" + e.agency["A"].ID},
		{"GET", "/systems/01jzzzzzzzzzzzzzzzzzzzzzzz"},
		{"GET", "/findings/01jzzzzzzzzzzzzzzzzzzzzzzz"},
		{"POST", "/findings/" + fA.ID + "/comments"},
		{"POST", "/findings/" + fA.ID + "/status"},
		{"POST", "/findings/" + fA.ID + "/severity"},
		{"POST", "/findings/" + fA.ID + "/risk"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			c.t = t
			var res response
			if tt.method == "GET" {
				res = c.get(tt.path)
			} else {
				res = c.post(tt.path, map[string][]string{"body": {"hello"}, "status": {"fixed"}, "severity": {"low"}, "reason": {"x"}})
			}
			if res.status != http.StatusNotFound {
				t.Fatalf("%s %s as b-member answered %d, want 404", tt.method, tt.path, res.status)
			}
			if res.body != notFound.body {
				t.Errorf("the answer differs from a missing record's:\n%s", res.body)
			}
			mustContain(t, tt.path, res.body, "Page not found")
			mustNotContain(t, tt.path, res.body, "Portal MOH", "Stored XSS in MOH")
		})
	}
	// What a member's role holds no grant for at all answers 403, the
	// same page whatever the record.
	forbidden := c.get("/systems/01jzzzzzzzzzzzzzzzzzzzzzzz/edit")
	for _, path := range []string{"/users", "/audit", "/systems/" + e.system["B"].ID + "/edit", "/systems/" + sysA.ID + "/edit"} {
		c.t = t
		res := c.get(path)
		if res.status != http.StatusForbidden || res.body != forbidden.body {
			t.Errorf("GET %s as b-member answered %d, want the 403 of a made-up id:\n%s", path, res.status, excerpt(res.body))
		}
		mustNotContain(t, path, res.body, "Portal MOH", "Stored XSS in MOH")
	}
	// The other agency's records do not show in the lists either.
	for _, path := range []string{"/systems", "/findings", "/findings?agency=MOH", "/systems?agency=MOH", "/"} {
		c.t = t
		res := c.get(path)
		if res.status != http.StatusOK {
			t.Errorf("GET %s answered %d", path, res.status)
		}
		mustNotContain(t, path, res.body, "Portal MOH", "Stored XSS in MOH")
	}
	// The other agency's admin cannot change A's system.
	cb := e.signIn(t, "b-admin")
	if res := cb.post("/systems/"+sysA.ID+"/edit", map[string][]string{"name": {"Taken over"}}); res.status != http.StatusNotFound {
		t.Errorf("b-admin changing A's system answered %d, want 404", res.status)
	}
}

// TestSignedOutIsAskedToSignIn: pages send an anonymous visitor to sign
// in and come back afterwards.
func TestSignedOutIsAskedToSignIn(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	res := c.get("/findings?status=open")
	if res.status != http.StatusSeeOther || res.location != "/login?next=%2Ffindings%3Fstatus%3Dopen" {
		t.Fatalf("anonymous GET /findings answered %d to %q", res.status, res.location)
	}
	page := c.get(res.location)
	mustContain(t, "login", page.body, `name="next" value="/findings?status=open"`)
	res = c.post("/login", map[string][]string{"email": {e.user["a-member"].Email}, "password": {password}, "next": {"/findings?status=open"}})
	if res.status != http.StatusSeeOther || res.location != "/findings?status=open" {
		t.Fatalf("sign-in answered %d to %q, want the page asked for", res.status, res.location)
	}
	// A sign-in with the wrong password re-renders with a summary.
	res = c.post("/login", map[string][]string{"email": {"nobody@example.gov"}, "password": {"wrong password here"}})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("bad sign-in answered %d", res.status)
	}
	mustContain(t, "bad sign-in", res.body, "There is a problem", "Error: Sign in")
}

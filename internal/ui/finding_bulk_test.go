package ui_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
)

// TestFindingListDefaultsToOpenWithCount: with no status chosen the list
// shows what still needs work, says how many, and "any" shows the rest.
func TestFindingListDefaultsToOpenWithCount(t *testing.T) {
	e := newEnv(t, false)
	fixed := "fixed"
	if _, err := e.app.Findings.Update(context.Background(), root, e.finding["B"].ID, findings.Patch{Status: &fixed, Reason: "patched"}); err != nil {
		t.Fatal(err)
	}
	c := e.signIn(t, "admin")
	res := c.get("/findings")
	mustContain(t, "default list", res.body, "<strong>1 finding</strong> still needing work", "Stored XSS in MOH search", `value="unresolved" selected`)
	mustNotContain(t, "default list", res.body, "Stored XSS in MOE search")
	res = c.get("/findings?status=any")
	mustContain(t, "any status", res.body, "<strong>2 findings</strong>", "Stored XSS in MOE search", `value="any" selected`, "days overdue</span>", `href="/findings/export.csv?status=any"`)
}

// TestFindingCSVExport: the export follows the filters and the caller's
// scope, and neutralises spreadsheet formulas.
func TestFindingCSVExport(t *testing.T) {
	e := newEnv(t, false)
	if _, err := e.app.Findings.Create(context.Background(), root, findings.NewFinding{SystemID: e.system["A"].ID, Source: "scan",
		Title: `=HYPERLINK("http://evil.example","x")`, Description: "d", Severity: "low"}); err != nil {
		t.Fatal(err)
	}
	read := func(c *client, path string) [][]string {
		t.Helper()
		res := c.get(path)
		if res.status != http.StatusOK {
			t.Fatalf("GET %s answered %d", path, res.status)
		}
		recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil {
			t.Fatalf("%s is not CSV: %v", path, err)
		}
		if strings.Join(recs[0], ",") != "id,title,agency,system,source,source_ref,severity,cvss_score,cwe,status,due_at,overdue,created_at,closed_at,url" {
			t.Fatalf("header %v", recs[0])
		}
		return recs[1:]
	}
	admin := e.signIn(t, "admin")
	if rows := read(admin, "/findings/export.csv?status=any"); len(rows) != 3 {
		t.Errorf("admin's export has %d rows, want 3", len(rows))
	}
	rows := read(admin, "/findings/export.csv?agency=MOH&severity=low")
	if len(rows) != 1 || rows[0][1] != `'=HYPERLINK("http://evil.example","x")` || rows[0][2] != "MOH" {
		t.Errorf("filtered export %v", rows)
	}
	// An agency's member gets their own findings only, whatever they ask.
	member := e.signIn(t, "b-member")
	for _, path := range []string{"/findings/export.csv", "/findings/export.csv?agency=MOH", "/findings/export.csv?system=" + e.system["A"].ID} {
		for _, row := range read(member, path) {
			if row[2] != "MOE" {
				t.Errorf("%s as b-member exports %v", path, row)
			}
		}
	}
	if res := e.signIn(t, "researcher").get("/findings/export.csv"); res.status != http.StatusForbidden {
		t.Errorf("researcher's export answered %d, want 403", res.status)
	}
	if res := e.anonymous(t).get("/findings/export.csv"); res.status != http.StatusSeeOther {
		t.Errorf("anonymous export answered %d, want a sign-in redirect", res.status)
	}
}

// TestFindingBulkStatus: a bulk change is checked per record — a finding
// of another agency in the set is left untouched — and each change is its
// own audit entry with the reason.
func TestFindingBulkStatus(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	fA, fB := e.finding["A"], e.finding["B"]
	c := e.signIn(t, "a-member")

	// No reason: nothing changes.
	res := c.post("/findings/bulk", url.Values{"id": {fA.ID}, "status": {"fixed"}, "back": {"?status=any"}})
	if res.status != http.StatusSeeOther || res.location != "/findings?status=any" {
		t.Fatalf("bulk without reason answered %d to %q", res.status, res.location)
	}
	mustContain(t, "no reason", c.get(res.location).body, "Give the reason for the change")

	res = c.post("/findings/bulk", url.Values{"id": {fA.ID, fB.ID, fA.ID}, "status": {"fixed"}, "reason": {"Patched in release 4.2"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("bulk answered %d", res.status)
	}
	mustContain(t, "bulk notice", c.get(res.location).body, "1 finding changed to Fixed.", "1 finding could not be changed")
	mustNotContain(t, "bulk notice", c.get("/findings").body, "Stored XSS in MOE")

	a, _ := e.app.Findings.Get(ctx, root, fA.ID)
	b, _ := e.app.Findings.Get(ctx, root, fB.ID)
	if a.Status != "fixed" || b.Status != "open" {
		t.Fatalf("after the bulk change A is %s, B is %s; want fixed and open", a.Status, b.Status)
	}
	for _, tc := range []struct {
		id   string
		want int
	}{{fA.ID, 1}, {fB.ID, 0}} {
		recs, err := e.app.Audit.List(ctx, audit.Filter{AllAgencies: true, TargetID: tc.id, ActorID: e.user["a-member"].ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != tc.want {
			t.Errorf("%d audit entries by a-member on %s, want %d", len(recs), tc.id, tc.want)
		}
		for _, r := range recs {
			if !strings.Contains(string(r.After), "Patched in release 4.2") && !strings.Contains(string(r.After), "fixed") {
				t.Errorf("audit entry %s lacks the change: %s", r.Code, r.After)
			}
		}
	}
	// Roles without the grant are refused before anything is read.
	if res := e.signIn(t, "researcher").post("/findings/bulk", url.Values{"id": {fA.ID}, "status": {"open"}, "reason": {"x"}}); res.status != http.StatusForbidden {
		t.Errorf("researcher's bulk change answered %d, want 403", res.status)
	}
}

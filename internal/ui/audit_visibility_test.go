package ui_test

import (
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestAuditPageForAgencyAdmins: the audit page shows an agency admin the
// entries about what their role sees (their agency's systems and
// findings), never those about reports: no researcher's email, no
// anonymous reporter's address, no tracking id.
func TestAuditPageForAgencyAdmins(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	alice := authz.Actor{UserID: e.user["researcher"].ID, Email: e.user["researcher"].Email, Role: authz.Researcher}
	mine, err := e.app.Disclosure.Submit(ctx, alice, disclosure.NewReport{Title: "IDOR", Description: "d", SystemID: e.system["A"].ID})
	if err != nil {
		t.Fatal(err)
	}
	anon, err := e.app.Disclosure.Submit(ctx, authz.Anonymous, disclosure.NewReport{Title: "XSS", Description: "d", SystemID: e.system["A"].ID, ReporterEmail: "whistle@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	all := e.signIn(t, "admin").get("/audit")
	mustContain(t, "wog-admin's audit page", all.body, "hacker@example.com", mine.TrackingID)

	page := e.signIn(t, "a-admin").get("/audit")
	if page.status != 200 {
		t.Fatalf("agency admin's audit page: %d", page.status)
	}
	entries := between(page.body, `<ol class="audit">`, "</ol>")
	mustContain(t, "agency admin's audit page", entries, "system.created", "finding.created")
	mustNotContain(t, "agency admin's audit page", page.body, "hacker@example.com", "whistle@example.net", mine.TrackingID, anon.TrackingID)
	mustNotContain(t, "agency admin's audit entries", entries, "report.submitted")
	if r := e.signIn(t, "a-admin").get("/audit?target_type=report"); r.status != 200 {
		t.Fatalf("filtering by report: %d", r.status)
	} else {
		mustNotContain(t, "agency admin filtering by report", between(r.body, `<ol class="audit">`, "</ol>"), "hacker@example.com", mine.TrackingID, "report.submitted")
	}
}

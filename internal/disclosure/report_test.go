package disclosure_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestPublicReportToken: the follow-up token opens the report; a wrong or
// missing token, another reporter's token and a guessed id all answer the
// same ErrNotFound; the token is stored hashed and can be rotated.
func TestPublicReportToken(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		mine := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "XSS in search", Description: "The q parameter is reflected.",
			AffectedURL: "https://healthhub.example.sg/search?q=x", ReporterEmail: "anon@example.net"})
		theirs := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Open redirect", Description: "next= is not checked."})
		if !id.Valid(mine.TrackingID) || len(mine.Token) < 30 || mine.TrackingID == theirs.TrackingID {
			t.Fatalf("receipt %+v", mine)
		}
		r, err := e.svc.PublicReport(e.ctx, mine.TrackingID, mine.Token)
		if err != nil {
			t.Fatal(err)
		}
		if r.SystemID != e.sysA.ID || r.AgencyID != e.agA.ID || r.Parameter != "q" || r.ReporterEmail != "" {
			t.Fatalf("report not routed by its URL, or leaks the email to the public view: %+v", r)
		}
		for name, tc := range map[string][2]string{
			"wrong token":           {mine.TrackingID, "vdp_wrong"},
			"missing token":         {mine.TrackingID, ""},
			"another's token":       {mine.TrackingID, theirs.Token},
			"guessed tracking id":   {id.Random(), mine.Token},
			"malformed tracking id": {"../../etc/passwd", mine.Token},
		} {
			if _, err := e.svc.PublicReport(e.ctx, tc[0], tc[1]); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		var stored string
		db.R().QueryRowContext(e.ctx, `SELECT token_hash FROM reports WHERE id = $1`, mine.TrackingID).Scan(&stored)
		if stored == "" || strings.Contains(stored, mine.Token) || strings.Contains(mine.Token, stored) {
			t.Fatalf("token stored as %q", stored)
		}
		var sealedEmail string
		db.R().QueryRowContext(e.ctx, `SELECT reporter_email FROM reports WHERE id = $1`, mine.TrackingID).Scan(&sealedEmail)
		if strings.Contains(sealedEmail, "anon@example.net") {
			t.Fatal("reporter email stored in clear")
		}
		if len(e.mail.To("anon@example.net")) != 1 {
			t.Fatal("reporter got no acknowledgement")
		}
		next, err := e.svc.RotateToken(e.ctx, mine.TrackingID, mine.Token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PublicReport(e.ctx, mine.TrackingID, mine.Token); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("old token still works after rotation: %v", err)
		}
		if _, err := e.svc.PublicReport(e.ctx, mine.TrackingID, next); err != nil {
			t.Fatalf("new token: %v", err)
		}
		if _, err := e.svc.PublicReply(e.ctx, mine.TrackingID, next, "More detail: it also works in /search2.", nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReportVisibility: a researcher reads only their own reports; other
// researchers, anonymous reports and agency staff all answer not found.
func TestReportVisibility(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		alices := e.submit(t, e.alice, disclosure.NewReport{Title: "IDOR on /users/{id}", Description: "Change the id.", AffectedURL: "https://healthhub.example.sg/users/42"})
		anon := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Anonymous", Description: "From nobody."})
		if alices.Token != "" {
			t.Fatal("a researcher's report got a follow-up token")
		}
		if _, err := e.svc.Report(e.ctx, e.alice, alices.TrackingID); err != nil {
			t.Fatalf("alice reading her report: %v", err)
		}
		for name, c := range map[string]struct {
			a  authz.Actor
			id string
		}{
			"bob reads alice's":        {e.bob, alices.TrackingID},
			"alice reads an anonymous": {e.alice, anon.TrackingID},
			"guessed id":               {e.alice, id.Random()},
		} {
			if _, err := e.svc.Report(e.ctx, c.a, c.id); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		// Agency roles hold no grant on reports: refused alike, whatever the report.
		for _, rid := range []string{alices.TrackingID, id.Random()} {
			if _, err := e.svc.Report(e.ctx, e.aMember, rid); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("agency member reads a report: %v", err)
			}
		}
		if _, err := e.svc.Messages(e.ctx, e.bob, alices.TrackingID); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("bob reading alice's thread: %v", err)
		}
		if _, err := e.svc.AddMessage(e.ctx, e.bob, alices.TrackingID, "hi", false, nil); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("bob writing on alice's thread: %v", err)
		}
		if _, err := e.svc.Transition(e.ctx, e.alice, alices.TrackingID, disclosure.Transition{Status: "triaged", Reason: "x"}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("alice triaging her own report: %v, want forbidden", err)
		}
		page, err := e.svc.ListReports(e.ctx, e.bob, disclosure.ReportFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("bob's list: %v %v", page.Items, err)
		}
		page, _ = e.svc.ListReports(e.ctx, e.alice, disclosure.ReportFilter{})
		if len(page.Items) != 1 || page.Items[0].ID != alices.TrackingID {
			t.Fatalf("alice's list: %+v", page.Items)
		}
		page, _ = e.svc.ListReports(e.ctx, e.triager, disclosure.ReportFilter{})
		if len(page.Items) != 2 {
			t.Fatalf("triage queue has %d reports", len(page.Items))
		}
	})
}

// TestLifecycleThreadAndDuplicates covers transitions with reasons, the
// severity justification the researcher sees, internal notes they never
// see, and the duplicate proof.
func TestLifecycleThreadAndDuplicates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		cwe := 79
		orig := e.submit(t, e.alice, disclosure.NewReport{Title: "Stored XSS in profile name", Description: "The profile name is rendered without escaping on the dashboard.",
			AffectedURL: "https://healthhub.example.sg/profile/1234/edit?name=x", CWE: &cwe})
		// The order of submission is what a duplicate is judged by: submit
		// the second in a later millisecond.
		for ms := time.Now().UnixMilli(); time.Now().UnixMilli() <= ms; {
			runtime.Gosched()
		}
		dup := e.submit(t, e.bob, disclosure.NewReport{Title: "XSS via profile name field", Description: "Profile name rendered without escaping in dashboard.",
			AffectedURL: "https://HealthHub.example.sg:443/profile/9876/edit?name=y", CWE: &cwe})
		other := e.submit(t, e.bob, disclosure.NewReport{Title: "Weak TLS on sls", Description: "TLS 1.0 is enabled.", AffectedURL: "sls.example.sg"})

		if _, err := e.svc.Transition(e.ctx, e.triager, orig.TrackingID, disclosure.Transition{Status: "triaged"}); err == nil {
			t.Fatal("a transition without a reason was accepted")
		}
		if _, err := e.svc.Transition(e.ctx, e.triager, orig.TrackingID, disclosure.Transition{Status: "resolved", Reason: "skip"}); err == nil {
			t.Fatal("new → resolved was accepted")
		}
		if _, err := e.svc.SetSeverity(e.ctx, e.triager, orig.TrackingID, disclosure.SeverityChange{Severity: "high"}); err == nil {
			t.Fatal("a severity change without a justification was accepted")
		}
		r, err := e.svc.SetSeverity(e.ctx, e.triager, orig.TrackingID, disclosure.SeverityChange{
			CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", Justification: "Needs a logged-in victim."})
		if err != nil || r.Severity != "medium" || r.CVSSScore == nil || *r.CVSSScore != 5.4 {
			t.Fatalf("severity from vector: %+v %v", r, err)
		}
		if _, err := e.svc.AddMessage(e.ctx, e.triager, orig.TrackingID, "INTERNAL: looks like the 2023 pentest item", true, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddMessage(e.ctx, e.alice, orig.TrackingID, "secret note", true, nil); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher writing an internal note: %v", err)
		}
		thread, err := e.svc.Messages(e.ctx, e.alice, orig.TrackingID)
		if err != nil {
			t.Fatal(err)
		}
		var sawJustification bool
		for _, m := range thread {
			if strings.Contains(m.Body, "INTERNAL") {
				t.Fatal("the researcher sees an internal note")
			}
			if m.Kind == disclosure.KindEvent && strings.Contains(m.Body, "Needs a logged-in victim.") {
				sawJustification = true
				if m.Author != "Triage team" {
					t.Fatalf("staff name shown to the researcher: %q", m.Author)
				}
			}
		}
		if !sawJustification {
			t.Fatalf("the researcher does not see the severity justification: %+v", thread)
		}
		staffThread, _ := e.svc.Messages(e.ctx, e.triager, orig.TrackingID)
		if len(staffThread) != len(thread)+1 {
			t.Fatalf("staff thread %d entries, researcher's %d", len(staffThread), len(thread))
		}

		sugg, err := e.svc.Duplicates(e.ctx, e.triager, dup.TrackingID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sugg) == 0 || sugg[0].TrackingID != orig.TrackingID || sugg[0].Score < 0.7 {
			t.Fatalf("duplicate ranking: %+v", sugg)
		}
		for _, s := range sugg {
			if s.TrackingID == other.TrackingID {
				t.Fatalf("unrelated report suggested: %+v", s)
			}
		}
		if _, err := e.svc.Duplicates(e.ctx, e.bob, dup.TrackingID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher asking for duplicate suggestions: %v", err)
		}
		if _, err := e.svc.Transition(e.ctx, e.triager, orig.TrackingID, disclosure.Transition{Status: "duplicate", DuplicateOf: dup.TrackingID, Reason: "x"}); err == nil {
			t.Fatal("a report was made a duplicate of a later one")
		}
		if _, err := e.svc.Transition(e.ctx, e.triager, dup.TrackingID, disclosure.Transition{Status: "duplicate", DuplicateOf: orig.TrackingID, Reason: "Reported earlier."}); err != nil {
			t.Fatal(err)
		}
		seen, err := e.svc.Report(e.ctx, e.bob, dup.TrackingID)
		if err != nil {
			t.Fatal(err)
		}
		origFull, _ := e.svc.Report(e.ctx, e.alice, orig.TrackingID)
		if seen.Original == nil || seen.Original.TrackingID != orig.TrackingID || seen.Original.ContentHash != origFull.ContentHash ||
			!seen.Original.SubmittedAt.Equal(origFull.SubmittedAt) {
			t.Fatalf("duplicate proof: %+v", seen.Original)
		}
		// The proof matches what the audit log committed at submission.
		recs, err := e.log.List(e.ctx, auditFilter(orig.TrackingID))
		if err != nil {
			t.Fatal(err)
		}
		var committed bool
		for _, rec := range recs {
			if rec.Code == disclosure.ReportSubmitted.ID && strings.Contains(string(rec.After), origFull.ContentHash) &&
				strings.Contains(string(rec.After), origFull.SubmittedAt.Format(time.RFC3339Nano)[:19]) {
				committed = true
			}
		}
		if !committed {
			t.Fatalf("content hash and submission time not in the audit log: %+v", recs)
		}
		if clocks := seen.Clocks; len(clocks) != 4 || clocks[0].State != disclosure.ClockMet {
			t.Fatalf("clocks of a duplicate: %+v", clocks)
		}
	})
}

// TestConcurrentSubmissions: submissions arriving together are committed in
// groups; every one lands with its own audit entry and the log verifies.
func TestConcurrentSubmissions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		const n = 60
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := e.svc.Submit(e.ctx, authz.Anonymous, disclosure.NewReport{Title: "Concurrent", Description: "report"})
				errs <- err
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var reports, entries int
		db.R().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM reports`).Scan(&reports)
		db.R().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE code = $1`, disclosure.ReportSubmitted.ID).Scan(&entries)
		if reports != n || entries != n {
			t.Fatalf("%d reports and %d audit entries, want %d", reports, entries, n)
		}
		if _, err := e.log.Verify(e.ctx); err != nil {
			t.Fatalf("audit log after concurrent submissions: %v", err)
		}
	})
}

package disclosure_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAcceptedReportBecomesFinding: accepting makes a finding of the
// right agency with the severity's due date (counted from submission);
// another agency's member cannot see it; the fix resolves the report; a
// denied report whose finding is fixed is flagged.
func TestAcceptedReportBecomesFinding(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		rc := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "SQL injection in appointment search",
			Description: "`id` is concatenated into SQL.", Steps: "1. Open /appointments?id=1'", Impact: "Read all appointments.",
			AffectedURL: "https://healthhub.example.sg/appointments?id=1", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"})
		if _, err := e.svc.Transition(e.ctx, e.triager, rc.TrackingID, disclosure.Transition{Status: "accepted", Reason: "Reproduced."}); err != nil {
			t.Fatal(err)
		}
		r, _ := e.svc.Report(e.ctx, e.triager, rc.TrackingID)
		if r.FindingID == "" || r.Status != "accepted" || r.Severity != "critical" {
			t.Fatalf("accepted report: %+v", r)
		}
		f, err := e.fs.Get(e.ctx, e.aMember, r.FindingID)
		if err != nil {
			t.Fatalf("the agency cannot see its finding: %v", err)
		}
		due := findings.DefaultPolicy.Due(r.SubmittedAt, "critical")
		if f.AgencyID != e.agA.ID || f.SystemID != e.sysA.ID || f.Source != "vdp" || f.SourceRef != rc.TrackingID ||
			f.Severity != "critical" || f.DueAt == nil || !f.DueAt.Equal(*due) {
			t.Fatalf("finding %+v, want MOH/HealthHub vdp critical due %v", f, due)
		}
		if _, err := e.fs.Get(e.ctx, e.bMember, r.FindingID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("another agency's member reading the finding: %v", err)
		}
		page, _ := e.fs.List(e.ctx, e.bMember, findings.Filter{Sources: []string{"vdp"}})
		if len(page.Items) != 0 {
			t.Fatal("another agency lists the finding")
		}
		// A second report is closed as informative but linked to the same finding.
		denied := e.submit(t, e.bob, disclosure.NewReport{Title: "Same SQLi", Description: "Again.", AffectedURL: "https://healthhub.example.sg/appointments?id=2"})
		if _, err := e.svc.Transition(e.ctx, e.triager, denied.TrackingID, disclosure.Transition{Status: "informative", Reason: "Known.", FindingID: f.ID}); err != nil {
			t.Fatal(err)
		}
		// The agency fixes the finding; the sync resolves and flags.
		fixed := "fixed"
		if _, err := e.fs.Update(e.ctx, e.aMember, f.ID, findings.Patch{Status: &fixed, Reason: "patched"}); err != nil {
			t.Fatal(err)
		}
		n, err := e.svc.SyncFindings(e.ctx)
		if err != nil || n != 2 {
			t.Fatalf("sync changed %d reports: %v", n, err)
		}
		r, _ = e.svc.Report(e.ctx, e.triager, rc.TrackingID)
		if r.Status != "resolved" || r.ResolvedAt == nil {
			t.Fatalf("fixed report not resolved: %+v", r)
		}
		d, _ := e.svc.Report(e.ctx, e.triager, denied.TrackingID)
		if !d.FixedThenDenied {
			t.Fatal("informative report with a fixed finding not flagged")
		}
		if d, _ := e.svc.Report(e.ctx, e.bob, denied.TrackingID); d.FixedThenDenied {
			t.Fatal("the flag is shown to the researcher")
		}
		if n, _ := e.svc.SyncFindings(e.ctx); n != 0 {
			t.Fatalf("second sync changed %d", n)
		}
		// Retest, then coordinated disclosure with consent.
		e.move(t, rc.TrackingID, "retest")
		e.move(t, rc.TrackingID, "closed")
		if _, err := e.svc.SetDisclosure(e.ctx, e.triager, rc.TrackingID, disclosure.DisclosureChange{Publish: true, Summary: "SQLi, fixed."}); err == nil {
			t.Fatal("published without the reporter's consent")
		}
		if err := e.svc.PublicSetDisclosure(e.ctx, rc.TrackingID, rc.Token, true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetDisclosure(e.ctx, e.triager, rc.TrackingID, disclosure.DisclosureChange{Publish: true, Summary: "SQL injection in a health portal, fixed in 3 days."}); err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.Disclosures(e.ctx)
		if err != nil || len(list) != 1 || list[0].Summary == "" || list[0].TrackingID != rc.TrackingID {
			t.Fatalf("disclosures: %+v %v", list, err)
		}
	})
}

// TestClocksEscalate: overdue clocks notify the triagers and wog-admins in
// kubu and by email, once each.
func TestClocksEscalate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		rc := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Directory listing", Description: "/backup/ is listed."})
		r, _ := e.svc.Report(e.ctx, e.triager, rc.TrackingID)
		if r.Clocks[0].Name != "first_response" || r.Clocks[0].Target == nil {
			t.Fatalf("clocks: %+v", r.Clocks)
		}
		// The VDP promises one business day: a week later both clocks are overdue.
		later := e.svc.WithClock(func() time.Time { return time.Now().Add(7 * 24 * time.Hour) })
		r, _ = later.Report(e.ctx, e.triager, rc.TrackingID)
		if r.Clocks[0].State != disclosure.ClockOverdue || r.Clocks[1].State != disclosure.ClockOverdue || r.Clocks[3].State != disclosure.ClockNone {
			t.Fatalf("clocks a week later: %+v", r.Clocks)
		}
		page, _ := later.ListReports(e.ctx, e.triager, disclosure.ReportFilter{Overdue: true})
		if len(page.Items) != 1 {
			t.Fatalf("overdue filter: %d", len(page.Items))
		}
		n, err := later.Escalate(e.ctx)
		if err != nil || n != 2 {
			t.Fatalf("escalated %d clocks: %v", n, err)
		}
		if n, _ := later.Escalate(e.ctx); n != 0 {
			t.Fatalf("escalated again: %d", n)
		}
		for _, who := range []authz.Actor{e.triager, e.admin, e.admin2} {
			notes, unread, err := e.svc.Notifications(e.ctx, who)
			if err != nil || unread != 1 || notes[0].ReportID != rc.TrackingID {
				t.Fatalf("%s notifications: %+v %d %v", who.Email, notes, unread, err)
			}
			if len(e.mail.To(who.Email)) != 1 {
				t.Fatalf("%s got %d emails", who.Email, len(e.mail.To(who.Email)))
			}
			if err := e.svc.MarkRead(e.ctx, who, notes[0].ID); err != nil {
				t.Fatal(err)
			}
		}
		if notes, _, _ := e.svc.Notifications(e.ctx, e.aMember); len(notes) != 0 {
			t.Fatal("an agency member was notified")
		}
		if err := e.svc.MarkRead(e.ctx, e.alice, "nope"); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("marking someone else's notification: %v", err)
		}
	})
}

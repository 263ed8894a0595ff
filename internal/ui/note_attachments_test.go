package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestNoteAttachmentsOnPages: the file of a triager's internal note shows
// on the triage page and downloads for staff; the researcher's report page
// and the anonymous follow-up page neither list it nor serve it (404, as a
// missing file).
func TestNoteAttachmentsOnPages(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	svc := e.app.Disclosure
	triager := authz.Actor{UserID: e.user["triager"].ID, Email: e.user["triager"].Email, Role: authz.Triager}
	alice := authz.Actor{UserID: e.user["researcher"].ID, Email: e.user["researcher"].Email, Role: authz.Researcher}
	file := func(name string) []disclosure.Upload {
		return []disclosure.Upload{{Filename: name, Data: []byte("contents of " + name + "\n")}}
	}
	mine, err := svc.Submit(ctx, alice, disclosure.NewReport{Title: "IDOR in records", Description: "d", Uploads: file("alice-poc.txt")})
	if err != nil {
		t.Fatal(err)
	}
	anon, err := svc.Submit(ctx, authz.Anonymous, disclosure.NewReport{Title: "XSS in search", Description: "d", Uploads: file("anon-poc.txt")})
	if err != nil {
		t.Fatal(err)
	}
	staff := e.signIn(t, "triager")
	for _, rc := range []disclosure.Receipt{mine, anon} {
		note, err := svc.AddMessage(ctx, triager, rc.TrackingID, "Internal: vendor log", true, file("internal-log.txt"))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := svc.AddMessage(ctx, triager, rc.TrackingID, "Please retest", false, file("retest.txt"))
		if err != nil {
			t.Fatal(err)
		}
		noteFile, msgFile := note.Attachments[0].ID, msg.Attachments[0].ID
		page := staff.get("/reports/" + rc.TrackingID)
		mustContain(t, "triage page", page.body, "internal-log.txt", "retest.txt")
		if r := staff.get("/reports/" + rc.TrackingID + "/attachments/" + noteFile); r.status != 200 || r.body != "contents of internal-log.txt\n" {
			t.Errorf("triager downloading the note's file: %d", r.status)
		}

		// The reporter's page and downloads.
		var reporter *client
		var base string
		if rc.Token == "" {
			reporter, base = e.signIn(t, "researcher"), "/reports/"+rc.TrackingID
		} else {
			reporter, base = e.anonymous(t), "/vdp/reports/"+rc.TrackingID
			if r := reporter.post("/vdp/track", url.Values{"tracking_id": {rc.TrackingID}, "token": {rc.Token}}); r.status != http.StatusSeeOther {
				t.Fatalf("following the anonymous report: %d", r.status)
			}
		}
		page = reporter.get(base)
		if page.status != 200 {
			t.Fatalf("%s: %d", base, page.status)
		}
		mustContain(t, base, page.body, "retest.txt", "Please retest")
		mustNotContain(t, base, page.body, "internal-log.txt", noteFile, "vendor log")
		if r := reporter.get(base + "/attachments/" + msgFile); r.status != 200 || r.body != "contents of retest.txt\n" {
			t.Errorf("%s: the staff message's file: %d", base, r.status)
		}
		hidden := reporter.get(base + "/attachments/" + noteFile)
		missing := reporter.get(base + "/attachments/01jzzzzzzzzzzzzzzzzzzzzzzz")
		if hidden.status != http.StatusNotFound || hidden.body != missing.body || strings.Contains(hidden.body, "internal log") {
			t.Errorf("%s: the note's file answered %d, unlike a missing one", base, hidden.status)
		}
	}
}

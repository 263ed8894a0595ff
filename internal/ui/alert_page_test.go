package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/detect"
)

// TestAlertPageForSOCWork: the alert page links the rule and the ATT&CK
// techniques, sums up each event, offers the people who may take it and
// the similar alerts, and opens a finding form filled from it.
func TestAlertPageForSOCWork(t *testing.T) {
	e, alerts := monitoringEnv(t)
	moh := alerts["MOH"]
	c := e.signIn(t, "a-member")
	res := c.get("/alerts/" + moh)
	if res.status != http.StatusOK {
		t.Fatalf("alert page answered %d", res.status)
	}
	mustContain(t, "alert page", res.body,
		`class="title-link">Failed logon burst</a>`,
		`href="https://attack.mitre.org/techniques/T1110/"`, "T1110 Brute Force",
		`<span class="muted">user</span> admin`, "dc-moh",
		`id="assign-assignee"`, e.user["a-member"].Email, e.user["analyst"].Email, e.user["a-admin"].Email,
		"Similar alerts", "Same rule", "Same system", "Record a finding from this alert")
	// Only people who may work on a MOH alert are offered.
	mustNotContain(t, "alert page", res.body, e.user["b-member"].Email, e.user["triager"].Email, e.user["researcher"].Email)

	// The finding form comes filled from the alert; nothing is stored yet.
	m := regexp.MustCompile(`href="(/findings/new\?[^"]+)" class="button button-secondary" id="create-finding"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatal("no finding link")
	}
	form := c.get(html.UnescapeString(m[1]))
	if form.status != http.StatusOK {
		t.Fatalf("finding form answered %d", form.status)
	}
	mustContain(t, "finding form", form.body, `value="Failed logon burst"`, `value="alert:`+moh+`"`, `Found by the alert [Failed logon burst](/alerts/`+moh+`)`,
		`selected>MOH — Domain controllers`)

	// Assigning to a colleague is one audited change.
	res = c.post("/alerts/"+moh+"/action", url.Values{"action": {"assign"}, "assignee": {e.user["analyst"].ID}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("assign answered %d: %s", res.status, excerpt(res.body))
	}
	page := c.get("/alerts/" + moh)
	mustContain(t, "assigned", page.body, "Alert assignee changed.", `<dt>Assigned to</dt><dd>`+e.user["analyst"].Email)
	entries, err := e.app.Audit.List(context.Background(), audit.Filter{AllAgencies: true, TargetID: moh})
	if err != nil {
		t.Fatal(err)
	}
	if n := countAssigned(entries); n != 1 {
		t.Errorf("%d alert.assigned audit entries, want 1", n)
	}

	// Someone of another agency cannot be given the alert, and cannot give it.
	res = c.post("/alerts/"+moh+"/action", url.Values{"action": {"assign"}, "assignee": {e.user["b-member"].ID}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("assigning to another agency's member answered %d, want 400", res.status)
	}
	mustContain(t, "bad assignee", res.body, "that user may not work on this alert", `href="#assign-assignee"`)
	if res := e.signIn(t, "b-member").post("/alerts/"+moh+"/action", url.Values{"action": {"assign"}, "assignee": {e.user["b-member"].ID}}); res.status != http.StatusNotFound {
		t.Errorf("b-member assigning a MOH alert answered %d, want 404", res.status)
	}
}

// countAssigned counts the alert-assigned entries among recs.
func countAssigned(recs []audit.Record) int {
	n := 0
	for _, r := range recs {
		if r.Code == detect.AlertAssigned.ID {
			n++
		}
	}
	return n
}

package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestReportClocksShowTimeLeft: a new report's running clocks say how
// long is left, in the triage queue, on the report, and on the triager's
// home.
func TestReportClocksShowTimeLeft(t *testing.T) {
	e := newEnv(t, false)
	rs := e.signIn(t, "researcher")
	res := rs.post("/reports", url.Values{"programme": {disclosure.VDPSlug}, "title": {"CSRF on profile"}, "description": {"No token."}, "severity": {"low"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("researcher submit: %d", res.status)
	}
	mustContain(t, "researcher home", rs.get("/").body, "Your reports", "CSRF on profile")
	tr := e.signIn(t, "triager")
	left := regexp.MustCompile(`First response: [a-z-]+, (\d+ (hour|minute|day)s?|under a minute) (left|overdue)</span>`)
	if list := tr.get("/reports"); !left.MatchString(list.body) {
		t.Errorf("the report list's clocks say no time left:\n%s", excerpt(list.body))
	}
	if !regexp.MustCompile(`· (\d+ (hour|minute|day)s?|under a minute) (left|overdue)</span>`).MatchString(tr.get(res.location).body) {
		t.Error("the report page's clocks say no time left")
	}
	mustContain(t, "triager home", tr.get("/").body, "Reports waiting for triage", "CSRF on profile")
}

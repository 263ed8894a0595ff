package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRoleHomes: each role's home shows that role's work — the analyst's
// alert queue, sources and hunts first; an agency's people their own
// alerts and findings; the triager the reports waiting; a researcher their
// reports.
func TestRoleHomes(t *testing.T) {
	e, _ := monitoringEnv(t)
	tests := []struct {
		who       string
		want, not []string
	}{
		{"analyst", []string{"<h2>Alerts</h2>", "not acknowledged", `id="alerts-by-agency-title"`, `class="bar-high"`, "MOH", "MOE",
			"Waiting longest for someone", "Failed logon burst", "Events per minute, last 60 minutes", "dc-moh", "dc-moe", `<svg class="spark"`,
			"Retro-hunts running", "<h2>Findings</h2>", "By agency"}, []string{"Reports waiting for triage"}},
		{"admin", []string{"<h2>Alerts</h2>", "dc-moh", "dc-moe", "Reports waiting for triage", "By agency"}, nil},
		{"a-member", []string{"Ministry of Health", "<h2>Alerts</h2>", "dc-moh", "Due soonest"}, []string{"dc-moe", "MOE"}},
		{"b-admin", []string{"Ministry of Education", "dc-moe"}, []string{"dc-moh"}},
		{"triager", []string{"Reports waiting for triage", "No report is waiting for triage.", "The whole triage queue"}, []string{"<h2>Alerts</h2>", "Events per minute"}},
		{"researcher", []string{"Your reports", "You have not sent a report yet.", `href="/researcher"`}, []string{"<h2>Alerts</h2>", "By agency"}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			res := e.signIn(t, tt.who).get("/")
			if res.status != http.StatusOK {
				t.Fatalf("home as %s answered %d", tt.who, res.status)
			}
			body := res.body[strings.Index(res.body, `<main`):]
			mustContain(t, "home", body, tt.want...)
			mustNotContain(t, "home", body, tt.not...)
		})
	}
	// The analyst's operations come before the findings.
	body := e.signIn(t, "analyst").get("/").body
	if strings.Index(body, "<h2>Alerts</h2>") > strings.Index(body, "<h2>Findings</h2>") {
		t.Error("the analyst's home shows findings before alerts")
	}
}

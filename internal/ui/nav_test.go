package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestNavGroupedByProng: each role's navigation shows the prongs and pages
// it may use, and no others, in one <details> menu that works without
// JavaScript; the current page's prong is marked.
func TestNavGroupedByProng(t *testing.T) {
	e := newEnv(t, false)
	tests := []struct {
		who, path, prong string
		groups           string // the prongs shown, in order
		shown, hidden    []string
	}{
		{"admin", "/systems", "Readiness", "Readiness Operations Community Admin",
			[]string{`href="/agencies"`, `href="/alerts"`, `href="/intake"`, `href="/reports"`, `href="/users"`, `href="/audit"`, `href="/account"`},
			[]string{`href="/researcher"`}},
		{"analyst", "/alerts", "Operations", "Readiness Operations Community Admin",
			[]string{`href="/alerts"`, `href="/incidents"`, `href="/rules"`, `href="/hunts"`, `href="/findings"`},
			[]string{`href="/users"`, `href="/audit"`, `href="/reports"`, `href="/researcher"`}},
		{"triager", "/reports", "Community", "Readiness Operations Community Admin",
			[]string{`href="/reports"`, `href="/programmes"`, `href="/rewards"`},
			[]string{`href="/alerts"`, `href="/rules"`, `href="/users"`, `href="/researcher"`}},
		{"a-admin", "/users", "Admin", "Readiness Operations Community Admin",
			[]string{`href="/systems"`, `href="/findings"`, `href="/alerts"`, `href="/users"`, `href="/audit"`},
			[]string{`href="/reports"`, `href="/researcher"`}},
		{"a-member", "/findings", "Readiness", "Readiness Operations Community Admin",
			[]string{`href="/systems"`, `href="/findings"`, `href="/alerts"`},
			[]string{`href="/users"`, `href="/audit"`, `href="/reports"`, `href="/researcher"`}},
		{"researcher", "/account", "Admin", "Community Admin",
			[]string{`href="/researcher"`, `href="/account"`},
			[]string{`href="/systems"`, `href="/findings"`, `href="/alerts"`, `href="/users"`, `href="/intake"`}},
	}
	groupRe := regexp.MustCompile(`<span class="nav-heading">([^<]+)</span>`)
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			res := e.signIn(t, tt.who).get(tt.path)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s as %s answered %d", tt.path, tt.who, res.status)
			}
			nav := res.body[strings.Index(res.body, `<nav class="nav"`):strings.Index(res.body, `</nav>`)]
			var groups []string
			for _, m := range groupRe.FindAllStringSubmatch(nav, -1) {
				groups = append(groups, m[1])
			}
			if got := strings.Join(groups, " "); got != tt.groups {
				t.Errorf("prongs %q, want %q", got, tt.groups)
			}
			mustContain(t, "nav", nav, append(tt.shown, `<details class="nav-menu">`, `<summary>Menu</summary>`)...)
			mustNotContain(t, "nav", nav, tt.hidden...)
			if !regexp.MustCompile(`nav-group is-current">\s*<a class="nav-prong" href="[^"]+">` + tt.prong + `<`).MatchString(nav) {
				t.Errorf("the current prong is not %s", tt.prong)
			}
			if strings.Contains(nav, "<script") || strings.Contains(nav, "style=") {
				t.Error("the navigation needs script or inline style")
			}
		})
	}
}

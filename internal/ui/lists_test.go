package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
)

var nextLink = regexp.MustCompile(`<a href="([^"]*)" rel="next">`)

// next returns the "Next page" link of a list page ("" when there is none).
func next(body string) string {
	m := nextLink.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestSystemListFiltersSortsAndPages(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	// 30 more systems in A: web ones and iot ones, created in order.
	for i := range 30 {
		name, typ, crit := fmt.Sprintf("Service %02d", i), "web", "low"
		if i%3 == 0 {
			typ, crit = "iot", "critical"
		}
		hosts := []string{fmt.Sprintf("svc%02d.health.gov.example", i)}
		if _, err := e.app.Registry.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOH", Name: &name, AssetType: &typ, Criticality: &crit, Hostnames: &hosts}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.signIn(t, "admin")

	// Name order, 25 a page, the filters kept on the next page.
	first := c.get("/systems?agency=MOH")
	mustContain(t, "page 1", first.body, "Portal MOH", "Service 00", "Service 23")
	mustNotContain(t, "page 1", first.body, "Service 24", "Portal MOE", "First page")
	nextURL := next(first.body)
	if !strings.Contains(nextURL, "agency=MOH") || !strings.Contains(nextURL, "cursor=") {
		t.Fatalf("next page link %q does not keep the filter", nextURL)
	}
	second := c.get("/systems" + nextURL[strings.Index(nextURL, "?"):])
	mustContain(t, "page 2", second.body, "Service 24", "Service 29", "First page")
	mustNotContain(t, "page 2", second.body, "Service 23", "Portal MOE")
	if next(second.body) != "" {
		t.Errorf("the last page has a next link")
	}

	tests := []struct {
		query        string
		want, absent []string
	}{
		{"?asset_type=iot", []string{"Service 00", "Service 27"}, []string{"Service 01", "Portal MOH"}},
		{"?criticality=critical&agency=MOH", []string{"Service 03"}, []string{"Service 04"}},
		{"?q=SVC07", []string{"Service 07"}, []string{"Service 08"}},
		{"?q=portal", []string{"Portal MOH", "Portal MOE"}, []string{"Service 01"}},
		{"?agency=NOPE", []string{"There is no agency with the code NOPE"}, []string{"Portal MOH"}},
		{"?cursor=garbage&q=portal", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			c.t = t
			res := c.get("/systems" + tt.query)
			if strings.Contains(tt.query, "garbage") {
				if res.status != http.StatusSeeOther || res.location != "/systems?q=portal" {
					t.Fatalf("a bad cursor answered %d to %q, want the first page", res.status, res.location)
				}
				return
			}
			if res.status != http.StatusOK {
				t.Fatalf("answered %d", res.status)
			}
			mustContain(t, tt.query, res.body, tt.want...)
			mustNotContain(t, tt.query, res.body, tt.absent...)
		})
	}
	// Newest first: the oldest system, first by name, moves to page 2.
	res := c.get("/systems?sort=-created&agency=MOH")
	mustNotContain(t, "newest first", res.body, "Portal MOH")
	res = c.get("/systems" + next(res.body)[strings.Index(next(res.body), "?"):])
	mustContain(t, "newest first, page 2", res.body, "Portal MOH")
	mustContain(t, "sorted", res.body, `<option value="-created" selected>`)
}

func TestFindingListFiltersSortsAndPages(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	sevs := []string{"critical", "high", "medium", "low", "info"}
	for i := range 30 {
		src := "scan"
		if i%2 == 0 {
			src = "bounty"
		}
		_, err := e.app.Findings.Create(ctx, root, findings.NewFinding{SystemID: e.system["A"].ID, Source: src,
			Title: fmt.Sprintf("Issue %02d", i), Severity: sevs[i%5], FoundAt: time.Now().Add(-time.Duration(30-i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := e.signIn(t, "a-member")
	first := c.get("/findings?source=scan&sort=created")
	mustContain(t, "page 1", first.body, "Issue 01", `<option value="created" selected>`, `<option value="scan" selected>`)
	mustNotContain(t, "page 1", first.body, "Issue 00", "Stored XSS")
	// 15 scan findings: one page.
	if next(first.body) != "" {
		t.Errorf("15 findings need no second page")
	}
	all := c.get("/findings")
	nextURL := next(all.body)
	if nextURL == "" {
		t.Fatalf("31 findings fit on one page of 25")
	}
	second := c.get("/findings" + nextURL[strings.Index(nextURL, "?"):])
	mustContain(t, "page 2", second.body, "First page")
	seen := strings.Count(all.body, `<a href="/findings/`) + strings.Count(second.body, `<a href="/findings/`)
	if seen != 31 {
		t.Errorf("the two pages show %d findings, want 31", seen)
	}

	tests := []struct {
		query        string
		status       int
		want, absent []string
	}{
		{"?severity=critical", 200, []string{"Issue 00", "Issue 25"}, []string{"Issue 01", "Stored XSS"}},
		{"?status=unresolved&q=issue+2", 200, []string{"Issue 20", "Issue 29"}, []string{"Issue 19"}},
		{"?system=" + e.system["A"].ID, 200, []string{"System: <strong>Portal MOH</strong>", "Show every system", "Issue 29"}, nil},
		{"?system=" + e.system["B"].ID, 200, []string{"No findings match"}, []string{"Stored XSS in MOE"}},
		{"?status=fixed", 200, []string{"No findings match these filters"}, []string{"Issue"}},
		{"?status=bogus", 400, []string{"There is a problem", "Status must be one of"}, nil},
		{"?sort=-severity", 200, []string{`<option value="-severity" selected>`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			c.t = t
			res := c.get("/findings" + tt.query)
			if res.status != tt.status {
				t.Fatalf("answered %d, want %d", res.status, tt.status)
			}
			mustContain(t, tt.query, res.body, tt.want...)
			mustNotContain(t, tt.query, res.body, tt.absent...)
		})
	}
	// Severity order puts the critical ones first.
	res := c.get("/findings?sort=-severity")
	crit, info := strings.Index(res.body, "sev-critical"), strings.Index(res.body, "sev-info")
	if crit < 0 || (info >= 0 && info < crit) {
		t.Errorf("severity order wrong: first critical at %d, first info at %d", crit, info)
	}
}

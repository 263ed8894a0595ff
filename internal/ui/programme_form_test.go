package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestProgrammesInTheUI: a wog-admin creates a bounty edition with its
// reward table, changes it and makes a new table version, each audited;
// bad input re-renders with the problems; other roles may not.
func TestProgrammesInTheUI(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	admin := e.signIn(t, "admin")
	mustContain(t, "list", admin.get("/programmes").body, `href="/programmes/new"`)
	if res := admin.get("/programmes/new"); res.status != http.StatusOK {
		t.Fatalf("new programme form answered %d", res.status)
	} else {
		mustContain(t, "form", res.body, "Create a programme", `id="amount_critical"`, `value="SGD"`)
	}

	form := url.Values{"name": {"Bounty 2027"}, "slug": {"bounty-2027"}, "kind": {"bounty"}, "access": {"open"},
		"starts_at": {"2027-01-01"}, "ends_at": {"2027-03-31"}, "asset_types": {"web", "api"},
		"in_scope": {"*.health.gov.example\n\n api.health.gov.example "}, "out_of_scope": {"Denial of service"},
		"rules": {"Be **kind**."}, "first_response_days": {"2"}, "triage_days": {"5"}, "reward_days": {"14"}, "resolution_days": {"90"},
		"business_days": {"yes"}, "currency": {"sgd"}, "amount_critical": {"10,000"}, "amount_high": {"5000"}, "amount_medium": {"1000"}}

	// Bad input: the problems are named, nothing is stored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("slug", "Not A Slug")
	bad.Set("ends_at", "2026-12-01")
	bad.Set("amount_low", "lots")
	res := admin.post("/programmes", bad)
	if res.status != http.StatusBadRequest {
		t.Fatalf("bad programme answered %d", res.status)
	}
	mustContain(t, "bad programme", res.body, `href="#amount_low"`, "must be a whole number", `value="Bounty 2027"`)
	res = admin.post("/programmes", func() url.Values { b := bad; b.Del("amount_low"); return b }())
	mustContain(t, "bad programme", res.body, `href="#slug"`, `href="#ends_at"`, "must be after the start")

	res = admin.post("/programmes", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("create answered %d: %s", res.status, excerpt(res.body))
	}
	id := strings.TrimPrefix(res.location, "/programmes/")
	p, err := e.app.Disclosure.Programme(ctx, root, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "bounty-2027" || p.Kind != "bounty" || len(p.InScope) != 2 || p.InScope[1] != "api.health.gov.example" ||
		p.Targets.TriageDays != 5 || !p.Targets.BusinessDays || p.RewardTable == nil || p.RewardTable.Currency != "SGD" ||
		p.RewardTable.Amounts["critical"] != 10000 || p.RewardVersion != 1 {
		t.Fatalf("stored programme %+v table %+v", p, p.RewardTable)
	}
	page := admin.get("/programmes/" + id)
	mustContain(t, "detail", page.body, "Programme created.", `href="/programmes/`+id+`/edit"`)

	edit := admin.get("/programmes/" + id + "/edit")
	mustContain(t, "edit", edit.body, `value="bounty-2027"`, `value="2027-03-31"`, `value="10000"`, "Save a new reward table version")
	form.Set("name", "Bounty 2027 (extended)")
	form.Set("ends_at", "2027-04-30")
	if res := admin.post("/programmes/"+id+"/edit", form); res.status != http.StatusSeeOther {
		t.Fatalf("edit answered %d: %s", res.status, excerpt(res.body))
	}
	if res := admin.post("/programmes/"+id+"/reward-table", url.Values{"currency": {"SGD"}, "amount_critical": {"20000"}, "exceptional_cap": {"50000"}}); res.status != http.StatusSeeOther {
		t.Fatalf("reward table answered %d: %s", res.status, excerpt(res.body))
	}
	p, _ = e.app.Disclosure.Programme(ctx, root, id)
	if p.Name != "Bounty 2027 (extended)" || p.EndsAt.Format("2006-01-02") != "2027-04-30" || p.RewardVersion != 2 ||
		p.RewardTable.Amounts["critical"] != 20000 || p.RewardTable.ExceptionalCap != 50000 {
		t.Fatalf("after the changes %+v %+v", p, p.RewardTable)
	}
	recs, err := e.app.Audit.List(ctx, audit.Filter{AllAgencies: true, TargetID: id})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, r := range recs {
		codes[r.Code]++
	}
	if codes[disclosure.ProgrammeCreated.ID] != 1 || codes[disclosure.ProgrammeUpdated.ID] != 1 || codes[disclosure.ProgrammeRewardTable.ID] != 2 {
		t.Errorf("audit codes %v", codes)
	}

	// Only the platform's administrators manage programmes.
	for _, who := range []string{"triager", "analyst", "a-admin", "researcher"} {
		c := e.signIn(t, who)
		for _, req := range []struct{ method, path string }{{"GET", "/programmes/new"}, {"POST", "/programmes"}, {"GET", "/programmes/" + id + "/edit"},
			{"POST", "/programmes/" + id + "/edit"}, {"POST", "/programmes/" + id + "/reward-table"}} {
			var res response
			if req.method == "GET" {
				res = c.get(req.path)
			} else {
				res = c.post(req.path, form)
			}
			if res.status != http.StatusForbidden {
				t.Errorf("%s %s as %s answered %d, want 403", req.method, req.path, who, res.status)
			}
		}
	}
	p, _ = e.app.Disclosure.Programme(ctx, root, id)
	if p.RewardVersion != 2 {
		t.Errorf("reward version %d after refused posts", p.RewardVersion)
	}
}

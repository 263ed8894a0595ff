package findings_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

type env struct {
	reg          *registry.Registry
	svc          *findings.Service
	log          *audit.Log
	admin        authz.Actor
	aAdmin, aMem authz.Actor
	bMem         authz.Actor
	researcher   authz.Actor
	agA, agB     registry.Agency
	sysA, sysB   registry.System
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	w := testkit.New(t, db)
	e := &env{log: w.Audit, reg: w.Registry, agA: w.MOH, agB: w.MOE}
	e.svc = findings.New(db, e.log, e.reg)
	e.admin = authz.Actor{UserID: "u-admin", Email: "admin@example.gov", Role: authz.WogAdmin}
	e.aAdmin = authz.Actor{UserID: "u-aadmin", Email: "aadmin@moh.example.gov", Role: authz.AgencyAdmin, AgencyID: e.agA.ID}
	e.aMem = authz.Actor{UserID: "u-amem", Email: "amem@moh.example.gov", Role: authz.AgencyMember, AgencyID: e.agA.ID}
	e.bMem = authz.Actor{UserID: "u-bmem", Email: "bmem@moe.example.gov", Role: authz.AgencyMember, AgencyID: e.agB.ID}
	e.researcher = authz.Actor{UserID: "u-r", Email: "r@example.com", Role: authz.Researcher}
	name, hosts := "HealthHub", []string{"HealthHub.Example.SG", "api.healthhub.example.sg"}
	var err error
	if e.sysA, err = e.reg.CreateSystem(ctx, e.aAdmin, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts}); err != nil {
		t.Fatal(err)
	}
	e.sysB = w.System(t, "MOE", "SLS")
	return e
}

func TestRegistryIsolation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if e.sysA.Hostnames[0] != "healthhub.example.sg" || e.sysA.Agency != "MOH" || e.agA.Code != "MOH" {
			t.Fatalf("system not normalised: %+v", e.sysA)
		}
		if _, err := e.reg.System(ctx, e.bMem, e.sysA.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("member of B reading A's system: %v, want not found", err)
		}
		// A role with no grant on systems is refused whatever the record.
		if _, err := e.reg.System(ctx, e.researcher, e.sysA.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher reading a system: %v, want forbidden", err)
		}
		page, err := e.reg.ListSystems(ctx, e.bMem, registry.SystemFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != e.sysB.ID {
			t.Fatalf("B's list = %+v, %v", page.Items, err)
		}
		if page, _ := e.reg.ListSystems(ctx, e.researcher, registry.SystemFilter{}); len(page.Items) != 0 {
			t.Fatalf("researcher listed %d systems", len(page.Items))
		}
		if n, _ := e.reg.CountSystems(ctx, e.bMem, ""); n != 1 {
			t.Fatalf("B counts %d systems, want 1", n)
		}
		ags, _ := e.reg.ListAgencies(ctx, e.bMem)
		if len(ags) != 1 || ags[0].Code != "MOE" {
			t.Fatalf("B sees agencies %+v", ags)
		}
		// A member of A cannot create a system in B: B is invisible, so it is "no such agency".
		n := "Sneaky"
		_, err = e.reg.CreateSystem(ctx, e.aAdmin, registry.SystemInput{Agency: "MOE", Name: &n})
		if v, ok := validate.As(err); !ok || v[0].Field != "agency" {
			t.Fatalf("creating in another agency: %v", err)
		}
		if _, err := e.reg.CreateSystem(ctx, e.aMem, registry.SystemInput{Agency: "MOH", Name: &n}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("member creating a system: %v, want forbidden", err)
		}
		dup := "HealthHub"
		if _, err := e.reg.CreateSystem(ctx, e.aAdmin, registry.SystemInput{Agency: "MOH", Name: &dup}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("duplicate name: %v", err)
		}
		if _, err := e.reg.CreateAgency(ctx, e.aAdmin, registry.NewAgency{Code: "X1", Name: "X"}); !errors.Is(err, authz.ErrNotFound) && !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("agency admin creating an agency: %v", err)
		}
		// Search by hostname and by name.
		page, _ = e.reg.ListSystems(ctx, e.admin, registry.SystemFilter{Query: "API.HEALTHHUB"})
		if len(page.Items) != 1 {
			t.Fatalf("hostname search found %d", len(page.Items))
		}
		bad := "spaceship"
		if _, err := e.reg.UpdateSystem(ctx, e.aAdmin, e.sysA.ID, registry.SystemInput{AssetType: &bad}); err == nil {
			t.Fatal("accepted a bad asset type")
		}
		if _, err := e.reg.UpdateSystem(ctx, e.aAdmin, e.sysB.ID, registry.SystemInput{Name: &n}); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("updating another agency's system: %v", err)
		}
		if _, err := e.log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFindingLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		f, err := e.svc.Create(ctx, e.aMem, findings.NewFinding{SystemID: e.sysA.ID, Source: "scan", Title: "TLS 1.0 enabled", Severity: "high"})
		if err != nil {
			t.Fatal(err)
		}
		if f.DueAt == nil || f.DueAt.Sub(f.CreatedAt) != 30*24*time.Hour {
			t.Fatalf("high finding due %v after creation, want 30 days", f.DueAt)
		}
		if f.Agency != "MOH" || f.Status != "open" {
			t.Fatalf("finding %+v", f)
		}
		if _, err := e.svc.Get(ctx, e.bMem, f.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("B reading A's finding: %v", err)
		}
		if _, err := e.svc.Create(ctx, e.bMem, findings.NewFinding{SystemID: e.sysA.ID, Source: "scan", Title: "x", Severity: "low"}); err == nil {
			t.Fatal("B created a finding on A's system")
		}
		// Severity change recomputes the due date from when it was found.
		crit := "critical"
		f2, err := e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{Severity: &crit, Reason: "exploit public"})
		if err != nil {
			t.Fatal(err)
		}
		if f2.DueAt.Sub(f.CreatedAt) != 14*24*time.Hour {
			t.Fatalf("critical due %v after creation", f2.DueAt.Sub(f.CreatedAt))
		}
		// Status transitions.
		fixed, open, ra := "fixed", "open", "risk-accepted"
		if _, err := e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{Status: &ra}); err == nil {
			t.Fatal("moved straight to risk-accepted")
		}
		f3, err := e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{Status: &fixed})
		if err != nil || f3.Status != "fixed" || f3.ClosedAt == nil {
			t.Fatalf("fix: %+v %v", f3, err)
		}
		if f4, err := e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{Status: &open}); err != nil || f4.ClosedAt != nil {
			t.Fatalf("reopen: %+v %v", f4, err)
		}
		if _, err := e.svc.Update(ctx, e.bMem, f.ID, findings.Patch{Status: &fixed}); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("B updating A's finding: %v", err)
		}
		// Duplicate needs an original in the same agency.
		dup := "duplicate"
		other, _ := e.svc.Create(ctx, e.aMem, findings.NewFinding{SystemID: e.sysA.ID, Source: "vdp", Title: "TLS 1.0 again", Severity: "medium"})
		if _, err := e.svc.Update(ctx, e.aMem, other.ID, findings.Patch{Status: &dup}); err == nil {
			t.Fatal("duplicate without original accepted")
		}
		if d, err := e.svc.Update(ctx, e.aMem, other.ID, findings.Patch{Status: &dup, DuplicateOf: &f.ID}); err != nil || d.DuplicateOf != f.ID {
			t.Fatalf("duplicate: %+v %v", d, err)
		}
		// Comments and history.
		if _, err := e.svc.AddComment(ctx, e.aMem, f.ID, "Patched on staging."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddComment(ctx, e.bMem, f.ID, "hello"); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("B commenting: %v", err)
		}
		cs, _ := e.svc.Comments(ctx, e.aAdmin, f.ID)
		if len(cs) != 1 || cs[0].Body != "Patched on staging." {
			t.Fatalf("comments %+v", cs)
		}
		h, err := e.svc.History(ctx, e.aMem, f.ID)
		if err != nil || len(h) != 5 { // created, severity, fixed, reopened, commented
			t.Fatalf("history has %d entries (%v)", len(h), err)
		}
		if h[len(h)-1].Code != audit.FindingCreated.ID {
			t.Fatalf("oldest history entry %s", h[len(h)-1].Code)
		}
		if _, err := e.log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRiskAcceptance(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		f, _ := e.svc.Create(ctx, e.aMem, findings.NewFinding{SystemID: e.sysA.ID, Source: "import", Title: "Legacy cipher", Severity: "medium"})
		exp := time.Now().Add(90 * 24 * time.Hour)
		if _, err := e.svc.RequestRiskAcceptance(ctx, e.aMem, f.ID, "", exp); err == nil {
			t.Fatal("request without reason accepted")
		}
		r, err := e.svc.RequestRiskAcceptance(ctx, e.aMem, f.ID, "Vendor fix due Q3; WAF rule in place.", exp)
		if err != nil || r.RiskAcceptance == nil || !r.RiskAcceptance.Pending {
			t.Fatalf("request: %+v %v", r, err)
		}
		if _, err := e.svc.DecideRiskAcceptance(ctx, e.aMem, f.ID, true, ""); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("member approving: %v", err)
		}
		ok, err := e.svc.DecideRiskAcceptance(ctx, e.aAdmin, f.ID, true, "accepted for 90 days")
		if err != nil || ok.Status != "risk-accepted" || ok.RiskAcceptance.ApprovedBy != e.aAdmin.UserID || ok.RiskAcceptance.ExpiresAt == nil {
			t.Fatalf("approve: %+v %v", ok, err)
		}
		// The requester cannot approve their own request.
		g, _ := e.svc.Create(ctx, e.aAdmin, findings.NewFinding{SystemID: e.sysA.ID, Source: "scan", Title: "Old jQuery", Severity: "low"})
		e.svc.RequestRiskAcceptance(ctx, e.aAdmin, g.ID, "internal only", exp)
		if _, err := e.svc.DecideRiskAcceptance(ctx, e.aAdmin, g.ID, true, ""); !errors.Is(err, findings.ErrSamePerson) {
			t.Fatalf("self-approval: %v", err)
		}
		// Expiry reopens.
		if _, err := db.R().ExecContext(ctx, `SELECT 1`); err != nil {
			t.Fatal(err)
		}
		e.svc.SetNowForTest(func() time.Time { return exp.Add(time.Hour) })
		n, err := e.svc.ExpireRiskAcceptances(ctx)
		if err != nil || n != 1 {
			t.Fatalf("expired %d (%v), want 1", n, err)
		}
		back, _ := e.svc.Get(ctx, e.aMem, f.ID)
		if back.Status != "open" || back.RiskAcceptance != nil {
			t.Fatalf("after expiry %+v", back)
		}
	})
}

func TestListFiltersAndPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		sevs := []string{"critical", "high", "medium", "low", "info"}
		for i := range 23 {
			_, err := e.svc.Create(ctx, e.aMem, findings.NewFinding{SystemID: e.sysA.ID, Source: findings.Sources[i%6],
				Title: "A finding", Severity: sevs[i%5], FoundAt: time.Now().Add(-time.Duration(i) * 24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
		}
		e.svc.Create(ctx, e.bMem, findings.NewFinding{SystemID: e.sysB.ID, Source: "scan", Title: "B finding", Severity: "high"})
		for _, sort := range findings.Sorts {
			seen := map[string]bool{}
			cursor := ""
			for pages := 0; ; pages++ {
				p, err := e.svc.List(ctx, e.aMem, findings.Filter{Sort: sort, Limit: 5, Cursor: cursor})
				if err != nil {
					t.Fatalf("sort %s: %v", sort, err)
				}
				for _, f := range p.Items {
					if seen[f.ID] || f.Agency != "MOH" {
						t.Fatalf("sort %s: repeated or foreign finding %s %s", sort, f.ID, f.Agency)
					}
					seen[f.ID] = true
				}
				if p.NextCursor == "" {
					break
				}
				cursor = p.NextCursor
			}
			if len(seen) != 23 {
				t.Fatalf("sort %s paged through %d findings, want 23", sort, len(seen))
			}
		}
		p, _ := e.svc.List(ctx, e.admin, findings.Filter{Sources: []string{"vdp"}, Severities: []string{"critical", "high", "medium", "low", "info"}})
		if len(p.Items) != 4 {
			t.Fatalf("vdp findings: %d, want 4", len(p.Items))
		}
		p, _ = e.svc.List(ctx, e.aMem, findings.Filter{Overdue: true})
		for _, f := range p.Items {
			if !f.Overdue {
				t.Fatalf("overdue filter returned %+v", f)
			}
		}
		if len(p.Items) == 0 {
			t.Fatal("no overdue findings though some were found 22 days ago with 14-day deadlines")
		}
		if _, err := e.svc.List(ctx, e.aMem, findings.Filter{Statuses: []string{"bogus"}}); err == nil {
			t.Fatal("bad status accepted")
		}
		if _, err := e.svc.List(ctx, e.aMem, findings.Filter{Cursor: "!!"}); !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("bad cursor: %v", err)
		}
		sum, _ := e.svc.Summarise(ctx, e.aMem, "")
		if sum.Open != 23 || sum.Overdue != len(p.Items) {
			t.Fatalf("summary %+v", sum)
		}
		sumB, _ := e.svc.Summarise(ctx, e.bMem, e.agA.ID)
		if sumB.Open != 0 {
			t.Fatalf("B sees %d of A's findings in a summary", sumB.Open)
		}
		tr, err := e.svc.Trend(ctx, e.aMem, "", time.Now().Add(-30*24*time.Hour), time.Now(), 7)
		if err != nil || tr[len(tr)-1].Open != 23 || tr[0].Open >= 23 {
			t.Fatalf("trend %+v %v", tr, err)
		}
	})
}

func TestPolicy(t *testing.T) {
	from := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) // a Friday
	p := findings.Policy{Critical: 3, BusinessDays: true}
	if d := p.Due(from, "critical"); d.Weekday() != time.Wednesday {
		t.Fatalf("3 business days from Friday is %v, want Wednesday", d.Weekday())
	}
	if findings.DefaultPolicy.Due(from, "info") != nil {
		t.Fatal("info findings got a deadline")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if err := e.svc.SetPolicy(ctx, e.aMem, e.agA.ID, p); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("member setting policy: %v", err)
		}
		if err := e.svc.SetPolicy(ctx, e.aAdmin, e.agB.ID, p); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("A's admin setting B's policy: %v", err)
		}
		if err := e.svc.SetPolicy(ctx, e.aAdmin, e.agA.ID, findings.Policy{Critical: -1}); err == nil {
			t.Fatal("negative days accepted")
		}
		if err := e.svc.SetPolicy(ctx, e.aAdmin, e.agA.ID, p); err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.Policy(ctx, e.aMem, e.agA.ID)
		if got != p {
			t.Fatalf("policy %+v", got)
		}
		f, _ := e.svc.Create(ctx, e.aMem, findings.NewFinding{SystemID: e.sysA.ID, Source: "scan", Title: "x", Severity: "high"})
		if f.DueAt != nil {
			t.Fatalf("high has 0 days in this policy, got due %v", f.DueAt)
		}
	})
}

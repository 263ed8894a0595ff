package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

// clock is a settable clock shared by the service and the fake sources.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// importsAt is an ImportHistory answering one time for every system.
type importsAt struct{ at func() time.Time }

func (i importsAt) LatestImport(context.Context, string) (time.Time, bool, error) {
	return i.at(), true, nil
}

type env struct {
	w     *testkit.World
	svc   *policy.Service
	finds *findings.Service
	clock *clock
}

// newEnv builds the service over db with fake sources that answer fresh
// evidence relative to the clock: every name scanned an hour ago and due in
// a day, security.txt and certificates met, in the VDP, logs a minute old,
// a test result imported ten days ago.
func newEnv(t testing.TB, db *store.DB) *env {
	w := testkit.New(t, db)
	c := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	finds := findings.New(db, w.Audit, w.Registry)
	src := policy.Sources{
		Scans: func(ctx context.Context, ids []string) (map[string][]policy.NameScan, error) {
			out := map[string][]policy.NameScan{}
			for _, id := range ids {
				out[id] = []policy.NameScan{{Hostname: "www." + id + ".example.sg", ScannedAt: c.Now().Add(-time.Hour),
					NextDueAt: c.Now().Add(23 * time.Hour), IM8: map[string]string{"st-1": "met", "st-3": "met", "ns-6": "met"}}}
			}
			return out, nil
		},
		VDP: func(ctx context.Context, ids []string) (map[string]bool, error) {
			out := map[string]bool{}
			for _, id := range ids {
				out[id] = true
			}
			return out, nil
		},
		Logs: func(ctx context.Context, ids []string) (map[string]map[string]time.Time, error) {
			out := map[string]map[string]time.Time{}
			for _, id := range ids {
				out[id] = map[string]time.Time{"web01": c.Now().Add(-time.Minute)}
			}
			return out, nil
		},
		Imports: importsAt{func() time.Time { return c.Now().Add(-10 * 24 * time.Hour) }},
	}
	svc := policy.New(db, w.Audit, w.Registry, finds, policy.Options{Sources: src, Now: c.Now})
	return &env{w: w, svc: svc, finds: finds, clock: c}
}

func readIM8(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Path(t, "im8"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadIM8 loads the IM8 catalogue and its three profiles and returns the
// profiles' ids by level.
func (e *env) loadIM8(t testing.TB) [3]string {
	t.Helper()
	ctx := context.Background()
	if _, _, err := e.svc.LoadCatalog(ctx, testkit.Root, "im8-reform.json", readIM8(t, "im8-reform.json")); err != nil {
		t.Fatal(err)
	}
	var ids [3]string
	for i, name := range policy.DefaultProfiles {
		d, _, err := e.svc.LoadProfile(ctx, testkit.Root, name, readIM8(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[i] = d.ID
	}
	return ids
}

func TestIM8CatalogueAndProfiles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		admin := testkit.Root
		// A profile before its catalogue cannot resolve: 400 naming the import.
		_, _, err := e.svc.LoadProfile(ctx, admin, "low-risk-level-0.json", readIM8(t, "low-risk-level-0.json"))
		var ve validate.Errors
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "im8-reform.json") {
			t.Fatalf("profile before catalogue: %v", err)
		}
		cat, created, err := e.svc.LoadCatalog(ctx, admin, "im8-reform.json", readIM8(t, "im8-reform.json"))
		if err != nil || !created {
			t.Fatalf("catalogue: %v created=%v", err, created)
		}
		if cat.Controls != 118 || cat.Title != "Instruction Manual 8 Reform" {
			t.Errorf("catalogue = %+v, want 118 controls", cat)
		}
		want := []int{6, 90, 118}
		for i, name := range policy.DefaultProfiles {
			d, _, err := e.svc.LoadProfile(ctx, admin, name, readIM8(t, name))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d.Controls != want[i] {
				t.Errorf("%s: %d controls, want %d", name, d.Controls, want[i])
			}
		}
		again, created, err := e.svc.LoadCatalog(ctx, admin, "im8-reform.json", readIM8(t, "im8-reform.json"))
		if err != nil || created || again.ID != cat.ID {
			t.Errorf("the same catalogue again: %v created=%v id %s vs %s", err, created, again.ID, cat.ID)
		}
		// A new version sits beside the old.
		v2 := strings.Replace(string(readIM8(t, "im8-reform.json")), `"version": "2024.05.30-2"`, `"version": "2025.01"`, 1)
		cat2, created, err := e.svc.LoadCatalog(ctx, admin, "im8-reform.json", []byte(v2))
		if err != nil || !created || cat2.ID == cat.ID || cat2.Version != "2025.01" {
			t.Errorf("second version: %v created=%v %+v", err, created, cat2)
		}
		docs, err := e.svc.Documents(ctx, e.w.Actor(authz.AgencyMember, "MOH"), "catalog", "", 1)
		if err != nil || len(docs.Items) != 1 || docs.Items[0].ID != cat2.ID || docs.NextCursor == "" {
			t.Errorf("agency member lists catalogues: %+v, %v", docs, err)
		}
		if docs, err = e.svc.Documents(ctx, e.w.Actor(authz.AgencyMember, "MOH"), "catalog", docs.NextCursor, 1); err != nil || len(docs.Items) != 1 || docs.Items[0].ID != cat.ID {
			t.Errorf("second page: %+v, %v", docs, err)
		}
		// Invalid OSCAL: 400 naming the first problem.
		_, _, err = e.svc.LoadCatalog(ctx, admin, "x.json", []byte(`{"catalog":{"uuid":"not-a-uuid","metadata":{}}}`))
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "catalog.uuid") {
			t.Errorf("invalid catalogue: %v", err)
		}
		// Only central administrators load.
		if _, _, err := e.svc.LoadCatalog(ctx, e.w.Actor(authz.AgencyAdmin, "MOH"), "im8-reform.json", readIM8(t, "im8-reform.json")); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("agency admin loads a catalogue: %v", err)
		}
		cs, err := e.svc.Controls(ctx, e.w.Actor(authz.AgencyMember, "MOE"), "catalog", cat.ID)
		if err != nil || len(cs) != 118 {
			t.Fatalf("controls: %d %v", len(cs), err)
		}
		fams := policy.Families(cs)
		if len(fams) != 13 {
			t.Errorf("families = %d, want 13", len(fams))
		}
		for _, c := range cs {
			if c.ID == "st-5" && (len(c.Params) != 4 || c.Guidance == "" || !strings.Contains(c.Statement, "[Assignment: time period (days)]") || !c.Automatic) {
				t.Errorf("st-5 = %+v", c)
			}
		}
	})
}

func control(t *testing.T, p policy.Plan, id string) policy.PlanControl {
	t.Helper()
	for _, c := range p.Controls {
		if c.ControlID == id {
			return c
		}
	}
	t.Fatalf("control %s not in the plan (profile %s)", id, p.ProfileID)
	return policy.PlanControl{}
}

func highSystem(t *testing.T, e *env, agency, name string) registry.System {
	t.Helper()
	crit := "high"
	hosts := []string{strings.ToLower(name) + ".example.sg"}
	s, err := e.w.Registry.CreateSystem(context.Background(), testkit.Root, registry.SystemInput{Agency: agency, Name: &name,
		Hostnames: &hosts, Criticality: &crit})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The acceptance test of automatic evidence: a system with a recent scan, a
// VDP, met deadlines and arriving logs shows those controls implemented with
// their evidence; let a deadline pass and st-5 turns not_met with the reason.
func TestAutomaticEvidence(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ids := e.loadIM8(t)
		ctx := context.Background()
		sys := highSystem(t, e, "MOH", "HealthHub")
		member := e.w.Actor(authz.AgencyMember, "MOH")
		// One finding fixed in time, one open and not yet due (medium: 60 days).
		fixed, err := e.finds.Create(ctx, testkit.Root, findings.NewFinding{SystemID: sys.ID, Source: "scan", Title: "Old TLS", Severity: "high"})
		if err != nil {
			t.Fatal(err)
		}
		st := "fixed"
		if _, err := e.finds.Update(ctx, testkit.Root, fixed.ID, findings.Patch{Status: &st, Reason: "upgraded"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.finds.Create(ctx, testkit.Root, findings.NewFinding{SystemID: sys.ID, Source: "scan", Title: "Missing header", Severity: "medium"}); err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Plan(ctx, member, sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.ProfileID != ids[2] || p.ProfileChosen != "default" || len(p.Controls) != 118 {
			t.Fatalf("a high system follows Level 2 by default: %s %s %d (%s)", p.ProfileID, p.ProfileChosen, len(p.Controls), p.ProfileReason)
		}
		for _, id := range []string{"st-1", "st-3", "st-4", "st-5", "ns-6", "lm-12"} {
			c := control(t, p, id)
			if c.Status != "implemented" || c.Source != "automatic" || c.Result != policy.Met || len(c.Evidence) == 0 || c.Explanation == "" {
				t.Errorf("%s = %s/%s/%s evidence %q (%s)", id, c.Status, c.Source, c.Result, c.Evidence, c.Reason)
			}
		}
		if c := control(t, p, "pm-3"); c.Status != "not-assessed" || c.Result != policy.NotAssessed {
			t.Errorf("a manual control nobody recorded is not assessed, got %s/%s", c.Status, c.Result)
		}
		// Let the open finding's deadline (60 days) pass.
		e.clock.Add(61 * 24 * time.Hour)
		p, err = e.svc.Plan(ctx, member, sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := control(t, p, "st-5")
		if c.Result != policy.NotMet || c.Status != "partial" || !strings.Contains(c.Reason, "1 open finding(s) past their deadline") {
			t.Errorf("st-5 after the deadline = %s/%s: %s", c.Status, c.Result, c.Reason)
		}
		if c := control(t, p, "st-1"); c.Result != policy.Met {
			t.Errorf("st-1 should stay met: %s", c.Reason)
		}
		sum, err := e.svc.ControlSummary(ctx, []string{sys.ID, "no-such-system"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sum[sys.ID], (policy.ControlCounts{Met: 5, NotMet: 1, NotAssessed: 112}); got != want || len(sum) != 1 {
			t.Errorf("summary = %+v (%d systems), want %+v", got, len(sum), want)
		}
	})
}

// Without sources nothing is passed: every automatic control is not assessed.
func TestNoEvidenceIsNotAssessed(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	e.loadIM8(t)
	svc := policy.New(db, e.w.Audit, e.w.Registry, e.finds, policy.Options{})
	sys := highSystem(t, e, "MOH", "Bare")
	p, err := svc.Plan(context.Background(), testkit.Root, sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"st-1", "st-3", "st-4", "st-5", "ns-6", "lm-12"} {
		if c := control(t, p, id); c.Result != policy.NotAssessed || c.Status != "not-assessed" || c.Reason == "" {
			t.Errorf("%s = %s/%s (%s)", id, c.Status, c.Result, c.Reason)
		}
	}
	if p.Counts != (policy.ControlCounts{NotAssessed: 118}) {
		t.Errorf("counts = %+v", p.Counts)
	}
}

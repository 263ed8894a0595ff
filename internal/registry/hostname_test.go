package registry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

type hostEnv struct {
	*testkit.World
	reg               *registry.Registry
	log               *audit.Log
	hosts             *registry.Hosts
	admin             authz.Actor
	mohAdmin, moeAdmn authz.Actor
	moh, moe          registry.Agency
}

func newHostEnv(t *testing.T, db *store.DB) *hostEnv {
	t.Helper()
	w := testkit.New(t, db)
	return &hostEnv{World: w, reg: w.Registry, log: w.Audit, hosts: registry.NewHosts(db), admin: testkit.Root,
		mohAdmin: w.Actor(authz.AgencyAdmin, "MOH"), moeAdmn: w.Actor(authz.AgencyAdmin, "MOE"), moh: w.MOH, moe: w.MOE}
}

func (e *hostEnv) system(t *testing.T, a authz.Actor, agency, name string, hosts ...string) (registry.System, error) {
	t.Helper()
	if hosts == nil {
		hosts = []string{}
	}
	return e.reg.CreateSystem(context.Background(), a, registry.SystemInput{Agency: agency, Name: &name, Hostnames: &hosts})
}

func (e *hostEnv) mustSystem(t *testing.T, a authz.Actor, agency, name string, hosts ...string) registry.System {
	t.Helper()
	s, err := e.system(t, a, agency, name, hosts...)
	if err != nil {
		t.Fatalf("create %s/%s: %v", agency, name, err)
	}
	return s
}

func (e *hostEnv) setHosts(a authz.Actor, id string, hosts ...string) (registry.System, error) {
	if hosts == nil {
		hosts = []string{}
	}
	return e.reg.UpdateSystem(context.Background(), a, id, registry.SystemInput{Hostnames: &hosts})
}

func (e *hostEnv) owner(t *testing.T, host string) string {
	t.Helper()
	o, ok, err := e.hosts.Lookup(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return o.SystemID
}

func wantConflict(t *testing.T, what string, err error, mention ...string) {
	t.Helper()
	if !errors.Is(err, validate.ErrConflict) {
		t.Fatalf("%s: %v, want a conflict", what, err)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("%s: %q does not mention %q", what, err, m)
		}
	}
}

// TestHostnameClaimsAcrossAgencies is the regression test of issue 8
// item 7: an agency admin could claim another agency's hostname, or a
// wildcard over it, and so receive that agency's reports.
func TestHostnameClaimsAcrossAgencies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newHostEnv(t, db)
		portal := e.mustSystem(t, e.mohAdmin, "MOH", "Portal", "portal.moh.gov.example", "*.apps.moh.gov.example")

		_, err := e.system(t, e.moeAdmn, "MOE", "Stolen", "Portal.MOH.gov.example.")
		wantConflict(t, "another agency's exact name", err, "portal.moh.gov.example", "another agency's system")
		if strings.Contains(err.Error(), "Portal\"") {
			t.Fatalf("the refusal names a system the caller may not see: %v", err)
		}
		_, err = e.system(t, e.moeAdmn, "MOE", "Wide", "*.gov.example")
		wantConflict(t, "a wildcard over another agency's names", err, "*.gov.example", "covers")
		_, err = e.system(t, e.moeAdmn, "MOE", "Under", "x.apps.moh.gov.example")
		wantConflict(t, "a name inside another agency's wildcard", err, "*.apps.moh.gov.example")
		_, err = e.system(t, e.moeAdmn, "MOE", "Nested", "*.a.apps.moh.gov.example")
		wantConflict(t, "a wildcard inside another agency's wildcard", err, "*.apps.moh.gov.example")
		// The same refusals when an existing system is changed.
		sls := e.mustSystem(t, e.moeAdmn, "MOE", "SLS", "sls.moe.gov.example")
		_, err = e.setHosts(e.moeAdmn, sls.ID, "sls.moe.gov.example", "portal.moh.gov.example")
		wantConflict(t, "an update claiming another agency's name", err)
		if got := e.owner(t, "portal.moh.gov.example"); got != portal.ID {
			t.Fatalf("portal.moh.gov.example is owned by %q after refused claims, want MOH's portal", got)
		}
		if s, _ := e.reg.System(context.Background(), e.admin, sls.ID); len(s.Hostnames) != 1 {
			t.Fatalf("a refused update changed the system's hostnames: %v", s.Hostnames)
		}

		// Too wide, or not a wildcard kubu understands: bad input.
		for _, h := range []string{"*.example", "*", "a.*.example.gov", "*.*.example.gov"} {
			if _, err := e.system(t, e.moeAdmn, "MOE", "Bad "+h, h); !isField(err, "hostnames") {
				t.Errorf("hostname %q: %v, want a hostnames field error", h, err)
			}
		}

		// Within one agency, names and wildcards nest freely; one name is
		// still held by one system only.
		e.mustSystem(t, e.mohAdmin, "MOH", "All of MOH", "*.moh.gov.example")
		_, err = e.system(t, e.mohAdmin, "MOH", "Portal 2", "portal.moh.gov.example")
		wantConflict(t, "a name held by a system of the caller's agency", err, `"Portal"`, "remove it there first")

		// Central roles decide overlaps: a platform administrator may put a
		// wildcard over agencies' names (the exact names still win).
		gov := e.mustSystem(t, e.admin, "MOE", "Catch-all", "*.gov.example")
		if got := e.owner(t, "portal.moh.gov.example"); got != portal.ID {
			t.Fatalf("an exact name lost to a wider wildcard: owner %q", got)
		}
		if got := e.owner(t, "unknown.gov.example"); got != gov.ID {
			t.Fatalf("unknown.gov.example owner %q, want the catch-all", got)
		}
		// But not an exact name held elsewhere: that is a move.
		_, err = e.system(t, e.admin, "MOE", "Taken", "portal.moh.gov.example")
		wantConflict(t, "a platform admin creating a system with a held name", err, "PUT /api/v1/hostnames")

		// Giving a name up frees it.
		if _, err := e.setHosts(e.mohAdmin, portal.ID, "*.apps.moh.gov.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.setHosts(e.moeAdmn, sls.ID, "sls.moe.gov.example", "portal.moh.gov.example"); err == nil {
			// MOH's *.moh.gov.example still covers it: refused.
			t.Fatal("MOE claimed a name inside MOH's wildcard")
		}
		if _, err := e.setHosts(e.admin, sls.ID, "sls.moe.gov.example", "portal.moh.gov.example"); err != nil {
			t.Fatalf("a platform admin giving a free name to MOE: %v", err)
		}
		if got := e.owner(t, "portal.moh.gov.example"); got != sls.ID {
			t.Fatalf("owner %q, want SLS", got)
		}
	})
}

func isField(err error, field string) bool {
	v, ok := validate.As(err)
	return ok && len(v) > 0 && v[0].Field == field
}

// TestHostnameLookup: the exact name, then the closest wildcard; ports,
// case and a trailing dot do not matter; a wildcard does not cover its apex.
func TestHostnameLookup(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newHostEnv(t, db)
		apex := e.mustSystem(t, e.mohAdmin, "MOH", "Apex", "moh.gov.example")
		wide := e.mustSystem(t, e.mohAdmin, "MOH", "Wide", "*.moh.gov.example")
		near := e.mustSystem(t, e.mohAdmin, "MOH", "Near", "*.api.moh.gov.example")
		exact := e.mustSystem(t, e.mohAdmin, "MOH", "Exact", "v1.api.moh.gov.example")
		for host, want := range map[string]string{
			"moh.gov.example":               apex.ID,
			"MOH.gov.example.":              apex.ID,
			"www.moh.gov.example":           wide.ID,
			"a.b.c.moh.gov.example":         wide.ID,
			"v2.api.moh.gov.example":        near.ID,
			"x.v2.api.moh.gov.example":      near.ID,
			"api.moh.gov.example":           wide.ID,
			"v1.api.moh.gov.example:8443":   exact.ID,
			"V1.Api.Moh.Gov.Example":        exact.ID,
			"gov.example":                   "",
			"evil-moh.gov.example.attack":   "",
			"*.moh.gov.example":             "",
			"":                              "",
			"[2001:db8::1]:443":             "",
			strings.Repeat("a.", 200) + "x": "",
		} {
			if got := e.owner(t, host); got != want {
				t.Errorf("Lookup(%q) = %q, want %q", host, got, want)
			}
		}
		o, ok, err := e.hosts.Lookup(context.Background(), "x.api.moh.gov.example")
		if err != nil || !ok || o.Hostname != "*.api.moh.gov.example" || o.AgencyID != e.moh.ID || o.AssetType != "web" {
			t.Fatalf("Lookup = %+v %v %v", o, ok, err)
		}
		all, err := e.hosts.All(context.Background())
		var names []string
		for _, o := range all {
			names = append(names, o.Hostname+"="+o.SystemID)
		}
		if want := "*.api.moh.gov.example=" + near.ID + ",*.moh.gov.example=" + wide.ID + ",moh.gov.example=" + apex.ID +
			",v1.api.moh.gov.example=" + exact.ID; err != nil || strings.Join(names, ",") != want {
			t.Fatalf("All = %v %v, want %s", names, err, want)
		}
	})
}

// TestAssignHostname: the central decision on a disputed name moves it at
// once, audited for both agencies; agency roles may not make it.
func TestAssignHostname(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newHostEnv(t, db)
		portal := e.mustSystem(t, e.mohAdmin, "MOH", "Portal", "portal.gov.example", "a.gov.example", "b.gov.example")
		sls := e.mustSystem(t, e.moeAdmn, "MOE", "SLS", "sls.gov.example")
		if _, err := e.reg.AssignHostname(ctx, e.moeAdmn, "portal.gov.example", sls.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("agency admin assigning a hostname: %v, want forbidden", err)
		}
		if _, err := e.reg.AssignHostname(ctx, e.admin, "portal.gov.example", "no-such-system"); !isField(err, "system_id") {
			t.Fatalf("unknown system: %v", err)
		}
		if _, err := e.reg.AssignHostname(ctx, e.admin, "*.example", sls.ID); !isField(err, "name") {
			t.Fatalf("too wide a wildcard: %v", err)
		}
		h, err := e.reg.AssignHostname(ctx, e.admin, "Portal.gov.example.", sls.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "portal.gov.example" || h.SystemID != sls.ID || h.Agency != "MOE" {
			t.Fatalf("assigned %+v", h)
		}
		if got := e.owner(t, "portal.gov.example"); got != sls.ID {
			t.Fatalf("owner after the move %q, want SLS", got)
		}
		p, _ := e.reg.System(ctx, e.admin, portal.ID)
		s, _ := e.reg.System(ctx, e.admin, sls.ID)
		if strings.Join(p.Hostnames, ",") != "a.gov.example,b.gov.example" || strings.Join(s.Hostnames, ",") != "sls.gov.example,portal.gov.example" {
			t.Fatalf("after the move: portal %v, sls %v", p.Hostnames, s.Hostnames)
		}
		// Both agencies' audit trails show the move.
		entries, err := e.log.List(ctx, audit.Filter{AllAgencies: true, Code: audit.HostnameMoved.ID})
		if err != nil {
			t.Fatal(err)
		}
		agencies := map[string]bool{}
		for _, x := range entries {
			agencies[x.AgencyID] = true
		}
		if len(entries) != 2 || !agencies[e.moh.ID] || !agencies[e.moe.ID] {
			t.Fatalf("move audited as %+v", entries)
		}
		// A free name is assigned; assigning again changes nothing.
		if _, err := e.reg.AssignHostname(ctx, e.admin, "new.gov.example", portal.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.AssignHostname(ctx, e.admin, "new.gov.example", portal.ID); err != nil {
			t.Fatal(err)
		}
		entries, _ = e.log.List(ctx, audit.Filter{AllAgencies: true, Code: audit.HostnameAssigned.ID})
		if len(entries) != 1 {
			t.Fatalf("assignments audited %d times, want 1", len(entries))
		}
		// Lists: agency roles see their own agency's records only.
		page, err := e.reg.ListHostnames(ctx, e.mohAdmin, registry.HostnameFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, h := range page.Items {
			names = append(names, h.Name)
		}
		if strings.Join(names, ",") != "a.gov.example,b.gov.example,new.gov.example" {
			t.Fatalf("MOH lists %v", names)
		}
		page, _ = e.reg.ListHostnames(ctx, e.admin, registry.HostnameFilter{Limit: 2})
		next, _ := e.reg.ListHostnames(ctx, e.admin, registry.HostnameFilter{Limit: 2, Cursor: page.NextCursor})
		if len(page.Items) != 2 || page.NextCursor == "" || len(next.Items) != 2 || next.Items[0].Name != "new.gov.example" {
			t.Fatalf("pages %+v / %+v", page, next)
		}
	})
}

// TestHostnameClaimRace: two agencies claiming overlapping names at once
// (a wildcard and a name under it): exactly one wins on either engine.
func TestHostnameClaimRace(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newHostEnv(t, db)
		for i := range 5 {
			suffix := strings.Repeat("x", i+1) + ".gov.example"
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, errs[0] = e.system(t, e.mohAdmin, "MOH", "W"+suffix, "*."+suffix)
			}()
			go func() {
				defer wg.Done()
				_, errs[1] = e.system(t, e.moeAdmn, "MOE", "N"+suffix, "www."+suffix)
			}()
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: both or neither claim passed: %v / %v", i, errs[0], errs[1])
			}
		}
	})
}

package registry_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

var root = authz.Actor{UserID: "cli", Email: "kubu-cli", Role: authz.WogAdmin}

const madeUp = "01jzzzzzzzzzzzzzzzzzzzzzzz"

type env struct {
	ctx     context.Context
	reg     *registry.Registry
	log     *audit.Log
	moh     registry.Agency
	moe     registry.Agency
	analyst authz.Actor
	admin   authz.Actor // agency admin of MOH
	member  authz.Actor // agency member of MOH
	moeMem  authz.Actor // agency member of MOE
	hacker  authz.Actor // researcher
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ring, _ := keys.New(bytes.Repeat([]byte{3}, 32))
	e := &env{ctx: context.Background(), log: audit.New(db, ring)}
	e.reg = registry.New(db, e.log)
	var err error
	if e.moh, err = e.reg.CreateAgency(e.ctx, root, registry.NewAgency{Code: "MOH", Name: "Ministry of Health"}); err != nil {
		t.Fatal(err)
	}
	if e.moe, err = e.reg.CreateAgency(e.ctx, root, registry.NewAgency{Code: "moe", Name: "Ministry of Education"}); err != nil {
		t.Fatal(err)
	}
	e.analyst = authz.Actor{UserID: "u-analyst", Role: authz.Analyst}
	e.admin = authz.Actor{UserID: "u-admin", Role: authz.AgencyAdmin, AgencyID: e.moh.ID}
	e.member = authz.Actor{UserID: "u-member", Role: authz.AgencyMember, AgencyID: e.moh.ID}
	e.moeMem = authz.Actor{UserID: "u-moe", Role: authz.AgencyMember, AgencyID: e.moe.ID}
	e.hacker = authz.Actor{UserID: "u-hacker", Role: authz.Researcher}
	return e
}

func ptr[T any](v T) *T { return &v }

func TestAgencies(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		if e.moe.Code != "MOE" {
			t.Errorf("codes are kept upper case: %q", e.moe.Code)
		}
		if _, err := e.reg.CreateAgency(e.ctx, root, registry.NewAgency{Code: "moh", Name: "Again"}); !errors.Is(err, validate.ErrConflict) {
			t.Errorf("a second MOH: %v", err)
		}
		if _, err := e.reg.CreateAgency(e.ctx, root, registry.NewAgency{Code: "x", Name: ""}); err == nil {
			t.Error("a bad code and no name were accepted")
		}
		if _, err := e.reg.CreateAgency(e.ctx, e.admin, registry.NewAgency{Code: "NEW", Name: "New"}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("an agency admin creating an agency: %v", err)
		}
		up, err := e.reg.UpdateAgency(e.ctx, root, e.moh.ID, "Ministry of Health (renamed)")
		if err != nil || up.Name != "Ministry of Health (renamed)" || up.Code != "MOH" {
			t.Fatalf("rename: %+v %v", up, err)
		}
		if _, err := e.reg.UpdateAgency(e.ctx, e.admin, e.moh.ID, "Mine"); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("an agency admin renaming their agency: %v", err)
		}
		if _, err := e.reg.UpdateAgency(e.ctx, root, madeUp, "Ghost"); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("renaming a missing agency: %v", err)
		}
		recs, err := e.log.List(e.ctx, audit.Filter{AllAgencies: true, TargetType: "agency", TargetID: e.moh.ID})
		if err != nil || len(recs) != 2 || recs[0].Name != "agency.updated" || recs[1].Name != "agency.created" {
			t.Errorf("audit of MOH: %+v %v", recs, err)
		}

		// Reading: own agency yes, another's is hidden like a missing one,
		// a role with no grant is refused for any id.
		if ag, err := e.reg.Agency(e.ctx, e.member, e.moh.ID); err != nil || ag.Code != "MOH" {
			t.Errorf("member reads own agency: %v", err)
		}
		if _, err := e.reg.AgencyByCode(e.ctx, e.member, "moh"); err != nil {
			t.Errorf("member reads own agency by code: %v", err)
		}
		for _, id := range []string{e.moe.ID, madeUp} {
			if _, err := e.reg.Agency(e.ctx, e.member, id); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("member reads agency %s: %v, want not found", id, err)
			}
			if _, err := e.reg.Agency(e.ctx, e.hacker, id); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("researcher reads agency %s: %v, want forbidden", id, err)
			}
		}
		if _, err := e.reg.AgencyByCode(e.ctx, e.member, "MOE"); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("member reads another agency by code: %v", err)
		}
		for who, want := range map[string]struct {
			a     authz.Actor
			codes []string
			err   error
		}{
			"analyst":    {e.analyst, []string{"MOE", "MOH"}, nil},
			"member":     {e.member, []string{"MOH"}, nil},
			"researcher": {e.hacker, nil, authz.ErrForbidden},
			"anonymous":  {authz.Anonymous, nil, authz.ErrUnauthenticated},
		} {
			list, err := e.reg.ListAgencies(e.ctx, want.a)
			var codes []string
			for _, ag := range list {
				codes = append(codes, ag.Code)
			}
			if !errors.Is(err, want.err) || len(codes) != len(want.codes) || (len(codes) > 0 && codes[0] != want.codes[0]) {
				t.Errorf("%s lists %v %v, want %v %v", who, codes, err, want.codes, want.err)
			}
		}
		if m, err := e.reg.AgencyCodes(e.ctx, e.member); err != nil || len(m) != 1 || m[e.moh.ID] != "MOH" {
			t.Errorf("agency codes for a member: %v %v", m, err)
		}
	})
}

func TestSystems(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		in := registry.SystemInput{Agency: "MOH", Name: ptr("HealthHub"), Hostnames: &[]string{"healthhub.example.sg"},
			Criticality: ptr("high"), InternetFacing: ptr(true)}
		s, err := e.reg.CreateSystem(e.ctx, e.admin, in)
		if err != nil || s.AgencyID != e.moh.ID || s.Agency != "MOH" || s.Criticality != "high" || !s.InternetFacing || s.AssetType != "web" {
			t.Fatalf("agency admin creates a system: %+v %v", s, err)
		}
		if _, err := e.reg.CreateSystem(e.ctx, e.admin, in); !errors.Is(err, validate.ErrConflict) {
			t.Errorf("the same name twice in an agency: %v", err)
		}
		if _, err := e.reg.CreateSystem(e.ctx, e.admin, registry.SystemInput{Agency: "MOH", Name: ptr("")}); err == nil {
			t.Error("a system without a name")
		}
		if _, err := e.reg.CreateSystem(e.ctx, e.member, registry.SystemInput{Agency: "MOH", Name: ptr("Other")}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("a member creating a system: %v", err)
		}
		if _, err := e.reg.CreateSystem(e.ctx, e.admin, registry.SystemInput{Agency: "MOE", Name: ptr("Other")}); err == nil {
			t.Error("an agency admin created a system in another agency")
		}
		if _, err := e.reg.CreateSystem(e.ctx, authz.Anonymous, in); !errors.Is(err, authz.ErrUnauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
		moe, err := e.reg.CreateSystem(e.ctx, root, registry.SystemInput{Agency: "MOE", Name: ptr("SchoolPortal")})
		if err != nil {
			t.Fatal(err)
		}

		// Updating.
		up, err := e.reg.UpdateSystem(e.ctx, e.admin, s.ID, registry.SystemInput{Description: ptr("Patients' portal")})
		if err != nil || up.Description != "Patients' portal" || up.Name != "HealthHub" {
			t.Fatalf("update: %+v %v", up, err)
		}
		if _, err := e.reg.UpdateSystem(e.ctx, e.admin, moe.ID, registry.SystemInput{Description: ptr("x")}); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("an agency admin updating another agency's system: %v", err)
		}
		if _, err := e.reg.UpdateSystem(e.ctx, e.member, s.ID, registry.SystemInput{Description: ptr("x")}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("a member updating: %v", err)
		}
		recs, _ := e.log.List(e.ctx, audit.Filter{AgencyID: e.moh.ID, TargetType: "system", TargetID: s.ID})
		if len(recs) != 2 || recs[0].ActorID != e.admin.UserID {
			t.Errorf("audit of the system: %+v", recs)
		}

		// Reading.
		if got, err := e.reg.System(e.ctx, e.member, s.ID); err != nil || got.Description != "Patients' portal" {
			t.Errorf("member reads own system: %v", err)
		}
		for _, id := range []string{moe.ID, madeUp} {
			if _, err := e.reg.System(e.ctx, e.member, id); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("member reads system %s: %v, want not found", id, err)
			}
			if _, err := e.reg.System(e.ctx, e.hacker, id); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("researcher reads system %s: %v, want forbidden", id, err)
			}
		}
		if got, err := e.reg.LookupSystem(e.ctx, moe.ID); err != nil || got.Agency != "MOE" {
			t.Errorf("internal lookup: %+v %v", got, err)
		}
		if _, err := e.reg.LookupSystem(e.ctx, madeUp); !errors.Is(err, authz.ErrNotFound) {
			t.Errorf("internal lookup of a missing system: %v", err)
		}
		for who, want := range map[string]struct {
			a    authz.Actor
			f    registry.SystemFilter
			n    int
			err  error
			name string
		}{
			"analyst, all":           {e.analyst, registry.SystemFilter{}, 2, nil, ""},
			"analyst, MOE":           {e.analyst, registry.SystemFilter{AgencyID: e.moe.ID}, 1, nil, "SchoolPortal"},
			"analyst, by hostname":   {e.analyst, registry.SystemFilter{Query: "HEALTHHUB.example"}, 1, nil, "HealthHub"},
			"member, own only":       {e.member, registry.SystemFilter{}, 1, nil, "HealthHub"},
			"member asking for MOE":  {e.member, registry.SystemFilter{AgencyID: e.moe.ID}, 0, nil, ""},
			"other agency's member":  {e.moeMem, registry.SystemFilter{}, 1, nil, "SchoolPortal"},
			"researcher":             {e.hacker, registry.SystemFilter{}, 0, authz.ErrForbidden, ""},
			"analyst, high":          {e.analyst, registry.SystemFilter{Criticality: "high"}, 1, nil, "HealthHub"},
			"analyst, one at a time": {e.analyst, registry.SystemFilter{Limit: 1}, 1, nil, ""},
		} {
			page, err := e.reg.ListSystems(e.ctx, want.a, want.f)
			if !errors.Is(err, want.err) || len(page.Items) != want.n || (want.name != "" && page.Items[0].Name != want.name) {
				t.Errorf("%s: %d systems %v, want %d %v", who, len(page.Items), err, want.n, want.err)
			}
		}
		first, _ := e.reg.ListSystems(e.ctx, e.analyst, registry.SystemFilter{Limit: 1})
		second, err := e.reg.ListSystems(e.ctx, e.analyst, registry.SystemFilter{Limit: 1, Cursor: first.NextCursor})
		if err != nil || first.NextCursor == "" || len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.NextCursor != "" {
			t.Errorf("paging: %+v then %+v %v", first, second, err)
		}
		if n, err := e.reg.CountSystems(e.ctx, e.member, ""); err != nil || n != 1 {
			t.Errorf("member counts %d %v", n, err)
		}
		if n, err := e.reg.CountSystems(e.ctx, e.analyst, e.moe.ID); err != nil || n != 1 {
			t.Errorf("analyst counts MOE's: %d %v", n, err)
		}
		if _, err := e.reg.CountSystems(e.ctx, e.hacker, ""); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("researcher counts: %v", err)
		}
	})
}

func TestCodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		c := registry.NewCodes(db)
		if c.ID(e.ctx, "MOH") != e.moh.ID || c.Code(e.ctx, e.moe.ID) != "MOE" || c.ID(e.ctx, "NOPE") != "" {
			t.Error("codes")
		}
	})
}

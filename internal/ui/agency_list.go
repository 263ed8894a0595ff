package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type agencyListData struct {
	Rows      []agencyRow
	CanCreate bool
}

func (u *ui) agencyList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	ags, err := u.Registry.ListAgencies(ctx, a)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rows, err := u.agencyRows(ctx, a, ags)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := agencyListData{Rows: rows, CanCreate: authz.Check(a, authz.AgencyCreate, authz.Collection()) == nil}
	u.render(w, r, http.StatusOK, "agencies.html", page{Title: "Agencies", Data: d})
}

type agencyData struct {
	Agency     registry.Agency
	Summary    findings.Summary
	Systems    store.Page[registry.System]
	SystemsN   int
	Policy     findings.Policy
	Severities []string
	CanSLA     bool
	CanAddSys  bool
}

func (u *ui) agencyDetail(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	ag, err := u.Registry.Agency(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := agencyData{Agency: ag, Severities: findings.Severities,
		CanSLA:    authz.Check(a, authz.SLAManage, authz.Record(ag.ID)) == nil,
		CanAddSys: authz.Check(a, authz.SystemCreate, authz.Record(ag.ID)) == nil}
	if d.Summary, err = u.Findings.Summarise(ctx, a, ag.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.SystemsN, err = u.Registry.CountSystems(ctx, a, ag.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Systems, err = u.Registry.ListSystems(ctx, a, registry.SystemFilter{AgencyID: ag.ID, Limit: 100}); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Policy, err = u.Findings.Policy(ctx, a, ag.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "agency.html", page{Title: ag.Name, Data: d})
}

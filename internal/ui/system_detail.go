package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type systemData struct {
	System    registry.System
	Findings  store.Page[findings.Finding]
	CanEdit   bool
	CanReport bool
	CanScan   bool // external scan pages exist and the caller may read them
	// CanImports: the import page exists (the caller sees it as a reader
	// of the system; the form is for those who may import).
	CanImports bool
	CanPlan    bool // the security plan pages exist and the caller may read the plan
}

func (u *ui) systemDetail(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	s, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	open, err := u.Findings.List(ctx, a, findings.Filter{SystemID: s.ID, Statuses: findings.OpenStatuses, Sort: "-severity", Limit: 50})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := systemData{System: s, Findings: open,
		CanEdit:    authz.Check(a, authz.SystemUpdate, authz.Record(s.AgencyID)) == nil,
		CanReport:  authz.Check(a, authz.FindingCreate, authz.Record(s.AgencyID)) == nil,
		CanScan:    u.Scanning != nil && authz.Check(a, authz.ScanRead, authz.Record(s.AgencyID)) == nil,
		CanPlan:    u.Policy != nil && authz.Check(a, authz.PlanRead, authz.Record(s.AgencyID)) == nil,
		CanImports: u.Imports != nil}
	u.render(w, r, http.StatusOK, "system.html", page{Title: s.Name, Data: d})
}

package ui

import (
	"context"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// The home page's chart covers six months in fortnights.
const (
	trendPoints = 13
	trendStep   = 14 * 24 * time.Hour
)

type homeData struct {
	Kind       string // "agency", "central" or "researcher"
	Scope      string // what the figures cover
	Agency     registry.Agency
	Summary    findings.Summary
	Systems    int
	Chart      trendChart
	Agencies   []agencyRow
	Urgent     []findings.Finding
	Severities []string
	Ops        *opsHome     // alerts, sources and hunts (roles that watch alerts)
	Reports    *reportsHome // the triage queue, or a researcher's own reports
	OpsFirst   bool         // operations is the role's main work: shown before the findings
}

// agencyRow is an agency with its counts, for the tables of agencies.
type agencyRow struct {
	Agency                           registry.Agency
	Systems, Open, Overdue, Critical int
}

func (u *ui) home(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d := homeData{Severities: findings.Severities}
	now := time.Now().UTC()
	var err error
	if d.Ops, err = u.opsHome(ctx, a, now); err != nil {
		u.fail(w, r, err)
		return
	}
	// Those who may act on every alert but change no agency's findings
	// policy (the central analysts) see operations first.
	d.OpsFirst = d.Ops != nil && authz.ScopeOf(a, authz.AlertUpdate).All && authz.ScopeOf(a, authz.AgencyUpdate).None()
	if d.Reports, err = u.reportsHome(ctx, a); err != nil {
		u.fail(w, r, err)
		return
	}
	switch {
	case authz.ScopeOf(a, authz.FindingRead).All:
		d.Kind, d.Scope = "central", "the whole of government"
		ags, err := u.Registry.ListAgencies(ctx, a)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Agencies, err = u.agencyRows(ctx, a, ags); err != nil {
			u.fail(w, r, err)
			return
		}
	case authz.ScopeOf(a, authz.FindingRead).AgencyID != "":
		d.Kind = "agency"
		ag, err := u.Registry.Agency(ctx, a, a.AgencyID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Agency, d.Scope = ag, ag.Name
	default:
		d.Kind = "researcher"
		u.render(w, r, http.StatusOK, "home.html", page{Title: "Home", Data: d})
		return
	}
	if d.Summary, err = u.Findings.Summarise(ctx, a, d.Agency.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Systems, err = u.Registry.CountSystems(ctx, a, d.Agency.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	pts, err := u.Findings.Trend(ctx, a, d.Agency.ID, now.Add(-trendStep*(trendPoints-1)), now, trendPoints)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Chart = newTrendChart("trend", d.Scope, pts)
	urgent, err := u.Findings.List(ctx, a, findings.Filter{AgencyID: d.Agency.ID, Statuses: findings.OpenStatuses, Sort: "due", Limit: 5})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Urgent = urgent.Items
	u.render(w, r, http.StatusOK, "home.html", page{Title: "Home", Data: d})
}

// agencyRows counts systems and open, overdue and critical findings of
// each agency.
func (u *ui) agencyRows(ctx context.Context, a authz.Actor, ags []registry.Agency) ([]agencyRow, error) {
	rows := make([]agencyRow, 0, len(ags))
	for _, ag := range ags {
		sum, err := u.Findings.Summarise(ctx, a, ag.ID)
		if err != nil {
			return nil, err
		}
		n, err := u.Registry.CountSystems(ctx, a, ag.ID)
		if err != nil {
			return nil, err
		}
		rows = append(rows, agencyRow{Agency: ag, Systems: n, Open: sum.Open, Overdue: sum.Overdue, Critical: sum.OpenBySeverity["critical"]})
	}
	return rows, nil
}

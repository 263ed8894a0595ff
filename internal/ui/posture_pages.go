package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerReadiness adds the import and posture pages.
func (u *ui) registerReadiness(rt *web.Router) {
	if u.Imports != nil {
		rt.Handle(web.UI, "GET /systems/{id}/imports", authz.SystemRead, u.systemImports)
		rt.Handle(web.UI, "POST /systems/{id}/imports", authz.ImportRun, u.systemImportUpload)
	}
	if u.Posture != nil {
		rt.Handle(web.UI, "GET /posture", authz.PostureRead, u.postureView)
		rt.Handle(web.UI, "GET /posture/agencies", authz.PostureLeague, u.postureLeague)
		rt.Handle(web.UI, "GET /posture/agencies.csv", authz.PostureLeague, u.postureCSV)
	}
}

type postureData struct {
	P         posture.Posture
	Chart     scoreChart
	Severity  []string
	CanLeague bool
}

// postureView is an agency's posture (?agency=CODE), or without one the
// whole of government for central roles and their own agency for others.
func (u *ui) postureView(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	p, err := u.Posture.Get(r.Context(), a, r.URL.Query().Get("agency"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	what := p.Name
	d := postureData{P: p, Chart: newScoreChart("posture-trend", what, p.Trend), Severity: []string{"critical", "high", "medium", "low", "info"},
		CanLeague: !authz.ScopeOf(a, authz.PostureLeague).None()}
	u.render(w, r, http.StatusOK, "posture.html", page{Title: "Posture: " + what, Data: d})
}

type leagueData struct {
	Rows  []posture.Posture
	Chart leagueChart
}

// postureLeague is the league table of agencies, for central roles.
func (u *ui) postureLeague(w http.ResponseWriter, r *http.Request) {
	rows, err := u.Posture.League(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "posture_league.html", page{Title: "Posture of every agency", Data: leagueData{Rows: rows, Chart: newLeagueChart(rows)}})
}

func (u *ui) postureCSV(w http.ResponseWriter, r *http.Request) {
	rows, err := u.Posture.League(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="posture.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	posture.WriteCSV(w, rows)
}

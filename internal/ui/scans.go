package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerScans adds the external scanning pages (Readiness).
func (u *ui) registerScans(rt *web.Router) {
	if u.Scanning == nil {
		return
	}
	rt.Handle(web.UI, "GET /scans", authz.ScanRead, u.scanOverview)
	rt.Handle(web.UI, "GET /scans/disagreements", authz.ScanRead, u.scanDisagreements)
	rt.Handle(web.UI, "GET /scans/{id}", authz.ScanRead, u.scanRun)
	rt.Handle(web.UI, "GET /systems/{id}/scans", authz.ScanRead, u.systemScans)
	rt.Handle(web.UI, "POST /systems/{id}/scans", authz.ScanRun, u.systemScanNow)
	rt.Handle(web.UI, "GET /systems/{id}/scans/{hostname}", authz.ScanRead, u.scanName)
}

type scanOverviewData struct {
	Agency  string // the agency filter (code)
	Unknown bool   // an agency the caller cannot see
	Grades  scanning.PostureReport
	Latest  store.Page[scanning.NameResult]
	Cursor  string
	Query   map[string][]string
}

// scanOverview is the scan posture and each name's latest result.
func (u *ui) scanOverview(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := scanOverviewData{Agency: q.Get("agency"), Cursor: q.Get("cursor"), Query: q}
	agencyID := ""
	if d.Agency != "" {
		ag, err := u.Registry.AgencyByCode(ctx, a, d.Agency)
		if err != nil {
			d.Unknown = true
			u.render(w, r, http.StatusOK, "scan_overview.html", page{Title: "External scans", Data: d})
			return
		}
		agencyID = ag.ID
	}
	var err error
	if d.Grades, err = u.Scanning.Grades(ctx, a, agencyID); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Latest, err = u.Scanning.Results(ctx, a, scanning.ResultFilter{AgencyID: agencyID, Latest: true, Cursor: d.Cursor, Limit: pageSize})
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, "/scans")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "scan_overview.html", page{Title: "External scans", Data: d})
}

type scanDisagreementsData struct {
	Items []scanning.Disagreement
	Read  int
	Max   int
}

// scanDisagreements shows where two standards disagree and why, over the
// latest results the caller may see.
func (u *ui) scanDisagreements(w http.ResponseWriter, r *http.Request) {
	items, read, err := u.Scanning.Disagreements(r.Context(), web.ActorFrom(r.Context()), "")
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "scan_disagreements.html", page{Title: "Where two standards disagree",
		Data: scanDisagreementsData{Items: items, Read: read, Max: scanning.MaxDisagreementNames}})
}

type scanRunRow struct {
	Result  *scan.Result
	Grades  scanning.Grades
	Changes []scanning.Change
}

type scanRunData struct {
	Scan scanning.Scan
	Rows []scanRunRow
}

// scanRun is one scan: its status and each name's result in brief.
func (u *ui) scanRun(w http.ResponseWriter, r *http.Request) {
	d, err := u.Scanning.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data := scanRunData{Scan: d.Scan}
	for _, res := range d.Results {
		data.Rows = append(data.Rows, scanRunRow{Result: res, Grades: scanning.Summarise(res), Changes: d.Changes[res.Name]})
	}
	u.render(w, r, http.StatusOK, "scan_run.html", page{Title: "Scan of " + d.System, Data: data})
}

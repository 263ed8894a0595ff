package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerScanning adds the external scanning routes (contract §9).
func registerScanning(rt *web.Router, a *api) {
	if a.Scanning == nil {
		return
	}
	rt.Handle(web.API, "POST /api/v1/scans", authz.ScanRun, a.requestScan)
	rt.Handle(web.API, "GET /api/v1/scans", authz.ScanRead, a.listScans)
	rt.Handle(web.API, "GET /api/v1/scans/{id}", authz.ScanRead, a.getScan)
	rt.Handle(web.API, "GET /api/v1/scan-results", authz.ScanRead, a.listScanResults)
	rt.Handle(web.API, "GET /api/v1/scan-results/{id}", authz.ScanRead, a.getScanResult)
	rt.Handle(web.API, "GET /api/v1/scan-grades", authz.ScanRead, a.scanGrades)
	rt.Handle(web.API, "GET /api/v1/systems/{id}/scan-names", authz.ScanRead, a.systemScanNames)
}

// requestScan starts a scan of a system's names: 202 with the scan (its id
// to poll). While one is queued or running the answer is that scan.
func (a *api) requestScan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SystemID string `json:"system_id"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if strings.TrimSpace(in.SystemID) == "" {
		web.WriteError(w, r, validate.Errors{{Field: "system_id", Message: "name the system to scan"}})
		return
	}
	sc, _, err := a.Scanning.Request(r.Context(), web.ActorFrom(r.Context()), in.SystemID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/scans/"+sc.ID)
	web.WriteJSON(w, http.StatusAccepted, sc)
}

// agencyParam resolves ?agency=CODE; ok false means an agency the caller
// cannot see (an empty answer, not an error).
func (a *api) agencyParam(r *http.Request) (string, bool) {
	code := r.URL.Query().Get("agency")
	if code == "" {
		return "", true
	}
	ag, err := a.Registry.AgencyByCode(r.Context(), web.ActorFrom(r.Context()), code)
	if err != nil {
		return "", false
	}
	return ag.ID, true
}

func (a *api) listScans(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	agencyID, ok := a.agencyParam(r)
	if !ok {
		web.WriteJSON(w, http.StatusOK, store.Page[scanning.Scan]{Items: []scanning.Scan{}})
		return
	}
	q := r.URL.Query()
	page, err := a.Scanning.List(r.Context(), web.ActorFrom(r.Context()), scanning.ScanFilter{SystemID: q.Get("system"),
		AgencyID: agencyID, Status: q.Get("status"), Cursor: cursor, Limit: limit})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) getScan(w http.ResponseWriter, r *http.Request) {
	d, err := a.Scanning.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (a *api) listScanResults(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	agencyID, ok := a.agencyParam(r)
	if !ok {
		web.WriteJSON(w, http.StatusOK, store.Page[scanning.NameResult]{Items: []scanning.NameResult{}})
		return
	}
	q := r.URL.Query()
	f := scanning.ResultFilter{SystemID: q.Get("system"), AgencyID: agencyID, Hostname: q.Get("hostname"), Cursor: cursor, Limit: limit}
	if s := q.Get("latest"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "latest must be true or false"))
			return
		}
		f.Latest = b
	}
	page, err := a.Scanning.Results(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) getScanResult(w http.ResponseWriter, r *http.Request) {
	d, err := a.Scanning.Result(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (a *api) scanGrades(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	agencyID := ""
	if code := r.URL.Query().Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		agencyID = ag.ID
	}
	rep, err := a.Scanning.Grades(r.Context(), actor, agencyID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) systemScanNames(w http.ResponseWriter, r *http.Request) {
	names, err := a.Scanning.Names(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": names})
}

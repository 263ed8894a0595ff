package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/imports"
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerReadiness adds the import and posture routes (contract §10).
func registerReadiness(rt *web.Router, a *api) {
	if a.Imports != nil {
		rt.Handle(web.API, "POST /api/v1/imports", authz.ImportRun, a.importFile)
		rt.Handle(web.API, "GET /api/v1/systems/{id}/imports", authz.SystemRead, a.listImports)
	}
	if a.Posture != nil {
		rt.Handle(web.API, "GET /api/v1/posture", authz.PostureRead, a.getPosture)
		rt.Handle(web.API, "GET /api/v1/posture/agencies", authz.PostureRead, a.postureLeague)
	}
}

// importFile is POST /api/v1/imports?format=F&system=ID with the tool's
// file as the body (up to 100 MB, spooled to disk, then read as a stream):
// 200 with the run and its counts.
func (a *api) importFile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format, err := imports.ParseFormat(q.Get("format"))
	if err != nil {
		web.WriteError(w, r, validate.Errors{{Field: "format", Message: err.Error()}})
		return
	}
	systemID := strings.TrimSpace(q.Get("system"))
	if systemID == "" {
		web.WriteError(w, r, validate.Errors{{Field: "system", Message: "name the system the results are of (?system=ID)"}})
		return
	}
	actor := web.ActorFrom(r.Context())
	// A system out of scope answers 404 before the body is read.
	sys, err := a.Registry.System(r.Context(), actor, systemID)
	if err == nil {
		err = authz.Check(actor, authz.ImportRun, authz.Record(sys.AgencyID))
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	f, err := importing.Spool(http.MaxBytesReader(w, r.Body, importing.MaxBody))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	defer f.Close()
	run, err := a.Imports.Import(r.Context(), actor, sys.ID, format, f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, run)
}

func (a *api) listImports(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			web.WriteError(w, r, web.BadRequest("invalid", "limit must be a number from 1 to 500"))
			return
		}
		limit = n
	}
	runs, err := a.Imports.Runs(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": runs})
}

// getPosture is GET /api/v1/posture?agency=CODE; without agency, central
// roles get the whole of government and agency roles their own agency.
func (a *api) getPosture(w http.ResponseWriter, r *http.Request) {
	p, err := a.Posture.Get(r.Context(), web.ActorFrom(r.Context()), r.URL.Query().Get("agency"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// postureLeague is the league table: one row per agency the caller may
// see; ?format=csv answers it as CSV.
func (a *api) postureLeague(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		web.WriteError(w, r, web.BadRequest("invalid", "format must be json or csv"))
		return
	}
	rows, err := a.Posture.League(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if format == "csv" {
		WritePostureCSV(w, rows)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": rows})
}

// WritePostureCSV answers the league table as a CSV download.
func WritePostureCSV(w http.ResponseWriter, rows []posture.Posture) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="posture.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	posture.WriteCSV(w, rows)
}

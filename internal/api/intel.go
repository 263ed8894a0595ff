package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intel/taxii"
	"github.com/kubu-gov/kubu/internal/web"
)

// MaxSTIXBody is the largest STIX bundle POST /api/v1/intel/stix takes
// (it is read as a stream, object by object).
const MaxSTIXBody = 256 << 20

// registerIntel adds threat intelligence (contract §7): imports,
// indicators, sources, retro-hunts by indicator and the TAXII server.
func registerIntel(rt *web.Router, a *api) {
	if a.Intel == nil {
		return
	}
	rt.Handle(web.API, "POST /api/v1/intel/stix", authz.IntelManage, a.importSTIX)
	rt.Handle(web.API, "GET /api/v1/intel/indicators", authz.IntelRead, a.listIndicators)
	rt.Handle(web.API, "POST /api/v1/intel/indicators", authz.IntelManage, a.addIndicator)
	rt.Handle(web.API, "GET /api/v1/intel/indicators/{id}", authz.IntelRead, a.getIndicator)
	rt.Handle(web.API, "DELETE /api/v1/intel/indicators/{id}", authz.IntelManage, a.retireIndicator)
	rt.Handle(web.API, "GET /api/v1/intel/sources", authz.IntelRead, a.listIntelSources)
	rt.Handle(web.API, "POST /api/v1/intel/hunts", authz.HuntCreate, a.createIntelHunt)
	rt.Handle(web.API, "GET /api/v1/intel/hunts", authz.HuntRead, a.listIntelHunts)
	rt.Handle(web.API, "GET /api/v1/intel/hunts/{id}", authz.HuntRead, a.getIntelHunt)

	srv := &taxii.Server{Source: taxiiSource{a.Intel}, Title: "kubu", Description: "Indicators of compromise shared by kubu"}
	for pattern, h := range srv.Routes() {
		rt.Handle(web.API, pattern, authz.IntelRead, h)
	}
}

// taxiiSource serves the TAXII collection as the caller sees it.
type taxiiSource struct{ s *indicators.Service }

func (t taxiiSource) Collections(ctx context.Context) ([]taxii.Collection, error) {
	return t.s.TAXIICollections(ctx, web.ActorFrom(ctx))
}

func (t taxiiSource) Objects(ctx context.Context, c string, q taxii.Query) (taxii.Page, error) {
	return t.s.TAXIIObjects(ctx, web.ActorFrom(ctx), c, q)
}

func intelError(err error) error {
	var me *indicators.MalformedError
	if errors.As(err, &me) {
		return web.BadRequest("invalid_stix", "%s", me.Msg)
	}
	return err
}

func (a *api) importSTIX(w http.ResponseWriter, r *http.Request) {
	source := strings.TrimSpace(r.URL.Query().Get("source"))
	if source == "" {
		source = "upload"
	}
	body := http.MaxBytesReader(w, r.Body, MaxSTIXBody)
	res, err := a.Intel.ImportSTIX(r.Context(), web.ActorFrom(r.Context()), source, indicators.KindUpload, body)
	if err != nil {
		web.WriteError(w, r, intelError(err))
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}

func (a *api) listIndicators(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := indicators.Filter{Type: q.Get("type"), Value: q.Get("q"), Source: q.Get("source"), STIXID: q.Get("stix_id"), Cursor: cursor, Limit: limit}
	if s := q.Get("active"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "active must be true or false"))
			return
		}
		f.Active = &b
	}
	page, err := a.Intel.Indicators(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) addIndicator(w http.ResponseWriter, r *http.Request) {
	var in indicators.NewIndicator
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	ind, err := a.Intel.Add(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, ind)
}

func (a *api) getIndicator(w http.ResponseWriter, r *http.Request) {
	ind, err := a.Intel.Indicator(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ind)
}

func (a *api) retireIndicator(w http.ResponseWriter, r *http.Request) {
	ind, err := a.Intel.Retire(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ind)
}

func (a *api) listIntelSources(w http.ResponseWriter, r *http.Request) {
	srcs, err := a.Intel.Sources(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": srcs})
}

func (a *api) createIntelHunt(w http.ResponseWriter, r *http.Request) {
	var in indicators.NewHunt
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	h, err := a.Intel.CreateHunt(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, h)
}

func (a *api) listIntelHunts(w http.ResponseWriter, r *http.Request) {
	hs, err := a.Intel.Hunts(r.Context(), web.ActorFrom(r.Context()), 100)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": hs})
}

func (a *api) getIntelHunt(w http.ResponseWriter, r *http.Request) {
	h, err := a.Intel.Hunt(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h)
}

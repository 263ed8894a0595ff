package api

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) listAgencies(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	page, err := a.Registry.AgencyPage(r.Context(), web.ActorFrom(r.Context()), cursor, limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) createAgency(w http.ResponseWriter, r *http.Request) {
	var in registry.NewAgency
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	ag, err := a.Registry.CreateAgency(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, ag)
}

func (a *api) getAgency(w http.ResponseWriter, r *http.Request) {
	ag, err := a.Registry.Agency(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ag)
}

func (a *api) updateAgency(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	ag, err := a.Registry.UpdateAgency(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Name)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ag)
}

func (a *api) getPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := a.Findings.Policy(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) setPolicy(w http.ResponseWriter, r *http.Request) {
	var p findings.Policy
	if err := web.DecodeJSON(w, r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	actor := web.ActorFrom(r.Context())
	if err := a.Findings.SetPolicy(r.Context(), actor, r.PathValue("id"), p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) listSystems(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	actor := web.ActorFrom(r.Context())
	f := registry.SystemFilter{Query: q.Get("q"), AssetType: q.Get("asset_type"), Criticality: q.Get("criticality"),
		Sort: q.Get("sort"), Cursor: cursor, Limit: limit}
	if code := q.Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
		if err != nil {
			web.WriteJSON(w, http.StatusOK, store.Page[registry.System]{Items: []registry.System{}})
			return
		}
		f.AgencyID = ag.ID
	}
	page, err := a.Registry.ListSystems(r.Context(), actor, f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) createSystem(w http.ResponseWriter, r *http.Request) {
	var in registry.SystemInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	s, err := a.Registry.CreateSystem(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, s)
}

func (a *api) getSystem(w http.ResponseWriter, r *http.Request) {
	s, err := a.Registry.System(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

func (a *api) updateSystem(w http.ResponseWriter, r *http.Request) {
	var in registry.SystemInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	s, err := a.Registry.UpdateSystem(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

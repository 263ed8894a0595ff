package api

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerHostnames adds the hostname records: systems claim names through
// their hostnames array; these routes list the records and let a platform
// administrator decide who holds a disputed name.
func registerHostnames(rt *web.Router, a *api) {
	rt.Handle(web.API, "GET /api/v1/hostnames", authz.SystemRead, a.listHostnames)
	rt.Handle(web.API, "GET /api/v1/hostnames/conflicts", authz.HostnameAssign, a.hostnameConflicts)
	rt.Handle(web.API, "PUT /api/v1/hostnames/{name}", authz.HostnameAssign, a.assignHostname)
}

func (a *api) listHostnames(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := a.Registry.ListHostnames(r.Context(), web.ActorFrom(r.Context()),
		registry.HostnameFilter{SystemID: q.Get("system"), Query: q.Get("q"), Cursor: cursor, Limit: limit})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) hostnameConflicts(w http.ResponseWriter, r *http.Request) {
	list, err := a.Registry.HostnameConflicts(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) assignHostname(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SystemID string `json:"system_id"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	h, err := a.Registry.AssignHostname(r.Context(), web.ActorFrom(r.Context()), r.PathValue("name"), in.SystemID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h)
}

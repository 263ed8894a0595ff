package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/feeds"
	"github.com/kubu-gov/kubu/internal/intel/edl"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerContainment adds containment (contract §7), the firewall block
// lists and their feed tokens.
func registerContainment(rt *web.Router, a *api) {
	if a.Contain == nil || a.Feeds == nil {
		return
	}
	rt.Handle(web.API, "POST /api/v1/containment", authz.ContainmentRequest, a.createContainment)
	rt.Handle(web.API, "GET /api/v1/containment", authz.ContainmentRead, a.listContainment)
	rt.Handle(web.API, "GET /api/v1/containment/{id}", authz.ContainmentRead, a.getContainment)
	rt.Handle(web.API, "POST /api/v1/containment/{id}/approve", authz.ContainmentApprove, a.approveContainment)
	rt.Handle(web.API, "POST /api/v1/containment/{id}/revoke", authz.ContainmentRequest, a.revokeContainment)

	// The lists authenticate firewalls with their own credential: HTTP
	// Basic with a feed token as the password (any user name), checked by
	// the handler, as the public VDP routes check a reporter's token.
	for _, k := range []edl.Kind{edl.IP, edl.Domain, edl.URL} {
		rt.Handle(web.Public, "GET /feeds/edl/"+string(k)+".txt", authz.Public, a.edlList(k))
	}
	rt.Handle(web.API, "GET /api/v1/feeds/tokens", authz.FeedRead, a.listFeedTokens)
	rt.Handle(web.API, "POST /api/v1/feeds/tokens", authz.FeedManage, a.createFeedToken)
	rt.Handle(web.API, "DELETE /api/v1/feeds/tokens/{id}", authz.FeedManage, a.revokeFeedToken)
}

// containmentError maps the guard rails' refusal to 422.
func containmentError(err error) error {
	var re *contain.RefusedError
	if errors.As(err, &re) {
		return &web.BadRequestError{Status: http.StatusUnprocessableEntity, Code: "refused", Message: re.Error() + " (guard rail: " + re.Rule + ")"}
	}
	return err
}

func (a *api) createContainment(w http.ResponseWriter, r *http.Request) {
	var in contain.Request
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	act, dry, err := a.Contain.Create(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, containmentError(err))
		return
	}
	if dry != nil {
		web.WriteJSON(w, http.StatusOK, dry)
		return
	}
	web.WriteJSON(w, http.StatusCreated, act)
}

func (a *api) listContainment(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := contain.Filter{Statuses: multi(r, "status"), Type: q.Get("type"), IncidentID: q.Get("incident_id"), Cursor: cursor, Limit: limit}
	if s := q.Get("expiring_within"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			web.WriteError(w, r, web.BadRequest("invalid", "expiring_within must be a duration such as 24h"))
			return
		}
		f.ExpiringWithin = d
	}
	page, err := a.Contain.List(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) getContainment(w http.ResponseWriter, r *http.Request) {
	act, err := a.Contain.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, act)
}

func (a *api) approveContainment(w http.ResponseWriter, r *http.Request) {
	act, err := a.Contain.Approve(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, act)
}

func (a *api) revokeContainment(w http.ResponseWriter, r *http.Request) {
	act, err := a.Contain.Revoke(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, act)
}

// edlList serves one block list to a firewall holding a feed token.
func (a *api) edlList(k edl.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, secret, ok := r.BasicAuth()
		if !ok {
			// Some firewalls can only send a bearer token or none.
			if tok, has := web.BearerToken(r); has {
				secret, ok = tok, true
			}
		}
		if ok {
			if _, err := a.Feeds.Authenticate(r.Context(), secret); err != nil {
				ok = false
				if !errors.Is(err, feeds.ErrBadToken) {
					web.WriteError(w, r, err)
					return
				}
			}
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="kubu feeds", charset="UTF-8"`)
			http.Error(w, "a feed token is required (HTTP Basic: any user name, the token as the password)", http.StatusUnauthorized)
			return
		}
		body, err := a.Feeds.EDL(r.Context(), k)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}
}

func (a *api) listFeedTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := a.Feeds.Tokens(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": toks})
}

func (a *api) createFeedToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	secret, tok, err := a.Feeds.CreateToken(r.Context(), web.ActorFrom(r.Context()), strings.TrimSpace(in.Name))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, struct {
		feeds.Token
		Secret string `json:"token"`
	}{tok, secret})
}

func (a *api) revokeFeedToken(w http.ResponseWriter, r *http.Request) {
	if err := a.Feeds.RevokeToken(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

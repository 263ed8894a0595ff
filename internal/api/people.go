package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) listUsers(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	page, err := a.Accounts.ListUsers(r.Context(), web.ActorFrom(r.Context()), "", limit, cursor)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request) {
	var in accounts.NewUser
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	u, err := a.Accounts.CreateUser(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, u)
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.Accounts.User(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, u)
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	ts, err := a.Accounts.Tokens(r.Context(), actor, actor.UserID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": ts})
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		TTL  string `json:"ttl"` // a Go duration such as "720h"; empty = the longest allowed
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	var ttl time.Duration
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "ttl must be a duration such as 720h"))
			return
		}
		ttl = d
	}
	// The API is authenticated by a token, so the new token is derived
	// from it: it never outlives the caller's token and ends with it.
	parent, _ := web.BearerToken(r)
	secret, t, err := a.Accounts.DeriveToken(r.Context(), parent, in.Name, ttl)
	if errors.Is(err, accounts.ErrBadToken) { // revoked or expired a moment ago
		err = authz.ErrUnauthenticated
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": t.ID, "name": t.Name, "expires_at": t.ExpiresAt, "parent_id": t.ParentID})
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := a.Accounts.RevokeToken(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	actor := web.ActorFrom(r.Context())
	q := r.URL.Query()
	f := audit.Filter{Code: q.Get("code"), TargetType: q.Get("target_type"), TargetID: q.Get("target_id"), Limit: limit}
	if cursor != "" {
		if err := decodeSeq(cursor, &f.BeforeSeq); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	view, err := authz.AuditViewOf(actor)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	switch {
	case view.All:
		f.AllAgencies = true
		if code := q.Get("agency"); code != "" {
			ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			f.AllAgencies, f.AgencyID = false, ag.ID
		}
	default:
		// An entry is visible with the visibility of what it is about.
		f.AgencyID, f.TargetTypes = view.AgencyID, view.TargetTypes
	}
	n := f.Limit
	if n <= 0 {
		n = 50
	}
	f.Limit = n + 1
	recs, err := a.Audit.List(r.Context(), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := map[string]any{}
	if len(recs) > n {
		recs = recs[:n]
		out["next_cursor"] = strconv.FormatInt(recs[n-1].Seq, 10)
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	out["items"] = recs
	web.WriteJSON(w, http.StatusOK, out)
}

func decodeSeq(s string, seq *int64) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return web.BadRequest("invalid_cursor", "the cursor is not valid")
	}
	*seq = n
	return nil
}

func (a *api) listCheckpoints(w http.ResponseWriter, r *http.Request) {
	// The checkpoints are of the whole log: a platform record.
	if err := authz.Check(web.ActorFrom(r.Context()), authz.AuditRead, authz.Record()); err != nil {
		web.WriteError(w, r, err)
		return
	}
	cps, err := a.Audit.Checkpoints(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if cps == nil {
		cps = []audit.Checkpoint{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": cps, "public_key": a.Audit.PublicKey()})
}

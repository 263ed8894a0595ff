package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// timeParam reads an RFC 3339 query parameter.
func timeParam(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, web.BadRequest("invalid", "%s must be an RFC 3339 time such as 2025-01-31T08:00:00Z", name)
	}
	return t, nil
}

func (a *api) listAlerts(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	actor := web.ActorFrom(r.Context())
	f := detect.AlertFilter{Levels: multi(r, "level"), Statuses: multi(r, "status"), RuleID: q.Get("rule_id"), HuntID: q.Get("hunt_id"), SystemID: q.Get("system"),
		Cursor: cursor, Limit: limit}
	if f.From, err = timeParam(r, "from"); err == nil {
		f.To, err = timeParam(r, "to")
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if s := q.Get("retro"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "retro must be true or false"))
			return
		}
		f.Retro = &b
	}
	if code := q.Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
		if errors.Is(err, authz.ErrNotFound) {
			web.WriteJSON(w, http.StatusOK, store.Page[detect.Alert]{Items: []detect.Alert{}})
			return
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		f.AgencyID = ag.ID
	}
	page, err := a.Detect.ListAlerts(r.Context(), actor, f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

// alertDetail is an alert with its first matched events.
type alertDetail struct {
	detect.Alert
	Events []detect.MatchedEvent `json:"events"`
}

func (a *api) getAlert(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	al, err := a.Detect.AlertByID(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	evs, err := a.Detect.AlertEvents(r.Context(), actor, al.ID, 50)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, alertDetail{al, evs})
}

func (a *api) alertEvents(w http.ResponseWriter, r *http.Request) {
	limit, _, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	evs, err := a.Detect.AlertEvents(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": evs})
}

func (a *api) updateAlert(w http.ResponseWriter, r *http.Request) {
	var ch detect.AlertChange
	if err := web.DecodeJSON(w, r, &ch); err != nil {
		web.WriteError(w, r, err)
		return
	}
	al, err := a.Detect.UpdateAlert(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), ch)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, al)
}

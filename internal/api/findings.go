package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) findingFilter(r *http.Request) (findings.Filter, bool, error) {
	limit, cursor, err := listParams(r)
	if err != nil {
		return findings.Filter{}, false, err
	}
	q := r.URL.Query()
	f := findings.Filter{SystemID: q.Get("system"), Statuses: multi(r, "status"), Sources: multi(r, "source"),
		Severities: multi(r, "severity"), Query: q.Get("q"), Sort: q.Get("sort"), Cursor: cursor, Limit: limit}
	if s := q.Get("overdue"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, false, web.BadRequest("invalid", "overdue must be true or false")
		}
		f.Overdue = b
	}
	if code := q.Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), web.ActorFrom(r.Context()), code)
		if err != nil {
			return f, false, nil // an agency the caller cannot see has no findings for them
		}
		f.AgencyID = ag.ID
	}
	return f, true, nil
}

func (a *api) listFindings(w http.ResponseWriter, r *http.Request) {
	f, ok, err := a.findingFilter(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !ok {
		web.WriteJSON(w, http.StatusOK, store.Page[findings.Finding]{Items: []findings.Finding{}})
		return
	}
	page, err := a.Findings.List(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) findingSummary(w http.ResponseWriter, r *http.Request) {
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
	s, err := a.Findings.Summarise(r.Context(), actor, agencyID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, s)
}

func (a *api) createFinding(w http.ResponseWriter, r *http.Request) {
	var in findings.NewFinding
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f, err := a.Findings.Create(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, f)
}

func (a *api) getFinding(w http.ResponseWriter, r *http.Request) {
	f, err := a.Findings.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, f)
}

func (a *api) updateFinding(w http.ResponseWriter, r *http.Request) {
	var p findings.Patch
	if err := web.DecodeJSON(w, r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f, err := a.Findings.Update(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), p)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, f)
}

func (a *api) findingHistory(w http.ResponseWriter, r *http.Request) {
	h, err := a.Findings.History(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": h})
}

func (a *api) listComments(w http.ResponseWriter, r *http.Request) {
	cs, err := a.Findings.Comments(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": cs})
}

func (a *api) addComment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body string `json:"body"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := a.Findings.AddComment(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Body)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, c)
}

func (a *api) requestRisk(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason    string    `json:"reason"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f, err := a.Findings.RequestRiskAcceptance(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Reason, in.ExpiresAt)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, f)
}

func (a *api) decideRisk(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Approve bool   `json:"approve"`
		Note    string `json:"note"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	f, err := a.Findings.DecideRiskAcceptance(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Approve, in.Note)
	if err != nil {
		if err == findings.ErrSamePerson {
			err = &web.BadRequestError{Status: http.StatusConflict, Code: "same_person", Message: err.Error()}
		}
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, f)
}

package api

import (
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) listProgrammes(w http.ResponseWriter, r *http.Request) {
	list, err := a.Disclosure.ListProgrammes(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) createProgramme(w http.ResponseWriter, r *http.Request) {
	var in disclosure.ProgrammeInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := a.Disclosure.CreateProgramme(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, p)
}

func (a *api) getProgramme(w http.ResponseWriter, r *http.Request) {
	p, err := a.Disclosure.Programme(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) updateProgramme(w http.ResponseWriter, r *http.Request) {
	var in disclosure.ProgrammeInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := a.Disclosure.UpdateProgramme(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) setRewardTable(w http.ResponseWriter, r *http.Request) {
	var t disclosure.RewardTable
	if err := web.DecodeJSON(w, r, &t); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := a.Disclosure.SetRewardTable(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), t)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) getRewardTable(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		v = -1 // no such version: answers 404 once the programme is found (or not)
	}
	t, err := a.Disclosure.RewardTableVersion(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), v)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

func (a *api) invite(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Handle string `json:"handle"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.Disclosure.Invite(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Handle); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) leaderboard(w http.ResponseWriter, r *http.Request) {
	list, err := a.Disclosure.Leaderboard(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) listRewards(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := a.Disclosure.Ledger(r.Context(), web.ActorFrom(r.Context()), disclosure.RewardFilter{ProgrammeID: q.Get("programme"),
		ResearcherID: q.Get("researcher"), Status: q.Get("status"), Cursor: cursor, Limit: limit})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) exportRewards(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rewards.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := a.Disclosure.ExportCSV(r.Context(), web.ActorFrom(r.Context()), r.URL.Query().Get("programme"), w); err != nil {
		w.Header().Del("Content-Disposition")
		web.WriteError(w, r, err)
	}
}

func (a *api) decideReward(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Approve bool   `json:"approve"`
		Reason  string `json:"reason"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rw, err := a.Disclosure.DecideReward(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Approve, in.Reason)
	if err != nil {
		disclosureError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rw)
}

func (a *api) getProfile(w http.ResponseWriter, r *http.Request) {
	p, err := a.Disclosure.Profile(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) updateProfile(w http.ResponseWriter, r *http.Request) {
	var u disclosure.ProfileUpdate
	if err := web.DecodeJSON(w, r, &u); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := a.Disclosure.UpdateProfile(r.Context(), web.ActorFrom(r.Context()), u)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (a *api) communityMetrics(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	f := disclosure.MetricsFilter{ProgrammeID: r.URL.Query().Get("programme"), Kind: r.URL.Query().Get("kind")}
	if code := r.URL.Query().Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		f.AgencyID = ag.ID
	}
	m, err := a.Disclosure.Metrics(r.Context(), actor, f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (a *api) listNotifications(w http.ResponseWriter, r *http.Request) {
	list, unread, err := a.Disclosure.Notifications(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list, "unread": unread})
}

func (a *api) readNotification(w http.ResponseWriter, r *http.Request) {
	if err := a.Disclosure.MarkRead(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

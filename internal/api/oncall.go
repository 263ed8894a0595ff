package api

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerOnCall adds on-call: rotations, the escalation policy, webhooks
// and the pages sent.
func registerOnCall(rt *web.Router, a *api) {
	rt.Handle(web.API, "GET /api/v1/oncall", authz.OnCallRead, a.whoIsOnCall)
	rt.Handle(web.API, "GET /api/v1/oncall/rotations", authz.OnCallRead, a.listRotations)
	rt.Handle(web.API, "POST /api/v1/oncall/rotations", authz.OnCallManage, a.addRotation)
	rt.Handle(web.API, "PUT /api/v1/oncall/rotations/{id}", authz.OnCallManage, a.replaceRotation)
	rt.Handle(web.API, "DELETE /api/v1/oncall/rotations/{id}", authz.OnCallManage, a.deleteRotation)
	rt.Handle(web.API, "GET /api/v1/oncall/policy", authz.OnCallRead, a.getEscalation)
	rt.Handle(web.API, "PUT /api/v1/oncall/policy", authz.OnCallManage, a.setEscalation)
	rt.Handle(web.API, "GET /api/v1/oncall/webhooks", authz.OnCallRead, a.listWebhooks)
	rt.Handle(web.API, "POST /api/v1/oncall/webhooks", authz.OnCallManage, a.addWebhook)
	rt.Handle(web.API, "DELETE /api/v1/oncall/webhooks/{id}", authz.OnCallManage, a.deleteWebhook)
	rt.Handle(web.API, "GET /api/v1/oncall/pages", authz.OnCallRead, a.listPages)
}

func (a *api) whoIsOnCall(w http.ResponseWriter, r *http.Request) {
	now, err := a.Incidents.WhoIsOnCall(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, now, err)
}

func (a *api) listRotations(w http.ResponseWriter, r *http.Request) {
	rs, err := a.Incidents.Rotations(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, map[string]any{"items": rs}, err)
}

func (a *api) addRotation(w http.ResponseWriter, r *http.Request) {
	var in incident.RotationInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rot, err := a.Incidents.SaveRotation(r.Context(), web.ActorFrom(r.Context()), "", in)
	write(w, r, http.StatusCreated, rot, err)
}

func (a *api) replaceRotation(w http.ResponseWriter, r *http.Request) {
	var in incident.RotationInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rot, err := a.Incidents.SaveRotation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusOK, rot, err)
}

func (a *api) deleteRotation(w http.ResponseWriter, r *http.Request) {
	if err := a.Incidents.DeleteRotation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) getEscalation(w http.ResponseWriter, r *http.Request) {
	p, err := a.Incidents.Policy(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, p, err)
}

func (a *api) setEscalation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PrimaryRotation   string `json:"primary_rotation"`
		SecondaryRotation string `json:"secondary_rotation"`
		LeadID            string `json:"lead_id"`
		AckMinutes        int    `json:"ack_minutes"`
		MinSeverity       string `json:"min_severity"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	p, err := a.Incidents.SetPolicy(r.Context(), web.ActorFrom(r.Context()), incident.Policy{PrimaryRotation: in.PrimaryRotation,
		SecondaryRotation: in.SecondaryRotation, LeadID: in.LeadID, AckMinutes: in.AckMinutes, MinSeverity: in.MinSeverity})
	write(w, r, http.StatusOK, p, err)
}

func (a *api) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hs, err := a.Incidents.Webhooks(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, map[string]any{"items": hs}, err)
}

func (a *api) addWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	h, err := a.Incidents.AddWebhook(r.Context(), web.ActorFrom(r.Context()), in.Name, in.URL)
	write(w, r, http.StatusCreated, h, err)
}

func (a *api) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := a.Incidents.DeleteWebhook(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) listPages(w http.ResponseWriter, r *http.Request) {
	ps, err := a.Incidents.Pages(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, map[string]any{"items": ps}, err)
}

package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerIncidents adds incident response (contract §6): incidents, their
// alerts, findings, timeline, tasks, observables, review, report and
// metrics; playbooks; on-call; and the evidence locker (contract §8).
func registerIncidents(rt *web.Router, a *api) {
	if a.Incidents == nil {
		return
	}
	rt.Handle(web.API, "GET /api/v1/incidents", authz.IncidentRead, a.listIncidents)
	rt.Handle(web.API, "POST /api/v1/incidents", authz.IncidentCreate, a.createIncident)
	rt.Handle(web.API, "GET /api/v1/incidents/metrics", authz.IncidentRead, a.incidentMetrics)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}", authz.IncidentRead, a.getIncident)
	rt.Handle(web.API, "PATCH /api/v1/incidents/{id}", authz.IncidentUpdate, a.updateIncident)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/status", authz.IncidentUpdate, a.changeIncidentStatus)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/alerts", authz.IncidentRead, a.incidentAlerts)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/alerts", authz.IncidentUpdate, a.linkIncidentAlerts)
	rt.Handle(web.API, "DELETE /api/v1/incidents/{id}/alerts/{alert_id}", authz.IncidentUpdate, a.unlinkIncidentAlert)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/suggestions", authz.IncidentRead, a.incidentSuggestions)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/findings", authz.IncidentUpdate, a.linkIncidentFindings)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/timeline", authz.IncidentRead, a.incidentTimeline)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/timeline", authz.IncidentUpdate, a.addIncidentEntry)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/tasks", authz.IncidentRead, a.incidentTasks)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/tasks", authz.IncidentUpdate, a.addIncidentTask)
	rt.Handle(web.API, "PATCH /api/v1/incidents/{id}/tasks/{task_id}", authz.IncidentUpdate, a.updateIncidentTask)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/observables", authz.IncidentRead, a.incidentObservables)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/observables", authz.IncidentUpdate, a.addIncidentObservable)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/review", authz.IncidentRead, a.incidentReview)
	rt.Handle(web.API, "PUT /api/v1/incidents/{id}/review", authz.IncidentUpdate, a.saveIncidentReview)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/review/follow-ups", authz.IncidentUpdate, a.addIncidentFollowUp)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/report", authz.IncidentRead, a.incidentReport)

	rt.Handle(web.API, "GET /api/v1/playbooks", authz.IncidentRead, a.listPlaybooks)
	rt.Handle(web.API, "PUT /api/v1/playbooks/{category}", authz.PlaybookManage, a.savePlaybook)
	registerOnCall(rt, a)
	registerEvidence(rt, a)
}

// write answers v, or err.
func write(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, status, v)
}

func (a *api) listIncidents(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	actor := web.ActorFrom(r.Context())
	f := incident.Filter{Statuses: multi(r, "status"), Severities: multi(r, "severity"), Category: q.Get("category"), Cursor: cursor, Limit: limit}
	if s := q.Get("breached"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "breached must be true or false"))
			return
		}
		f.Breached = b
	}
	if code := q.Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), actor, code)
		if errors.Is(err, authz.ErrNotFound) {
			web.WriteJSON(w, http.StatusOK, store.Page[incident.ListItem]{Items: []incident.ListItem{}})
			return
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		f.AgencyID = ag.ID
	}
	page, err := a.Incidents.List(r.Context(), actor, f)
	write(w, r, http.StatusOK, page, err)
}

func (a *api) createIncident(w http.ResponseWriter, r *http.Request) {
	var in incident.NewIncident
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	inc, err := a.Incidents.Create(r.Context(), web.ActorFrom(r.Context()), in)
	write(w, r, http.StatusCreated, inc, err)
}

// incidentDetail is an incident with the ATT&CK techniques of its rules.
type incidentDetail struct {
	incident.Incident
	Attack []string `json:"attack"`
}

func (a *api) getIncident(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	inc, err := a.Incidents.Get(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	tech, err := a.Incidents.Techniques(r.Context(), actor, inc.ID)
	write(w, r, http.StatusOK, incidentDetail{inc, tech}, err)
}

func (a *api) updateIncident(w http.ResponseWriter, r *http.Request) {
	var p incident.Patch
	if err := web.DecodeJSON(w, r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	inc, err := a.Incidents.Update(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), p)
	write(w, r, http.StatusOK, inc, err)
}

func (a *api) changeIncidentStatus(w http.ResponseWriter, r *http.Request) {
	var ch incident.StatusChange
	if err := web.DecodeJSON(w, r, &ch); err != nil {
		web.WriteError(w, r, err)
		return
	}
	inc, err := a.Incidents.ChangeStatus(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), ch)
	write(w, r, http.StatusOK, inc, err)
}

func (a *api) incidentAlerts(w http.ResponseWriter, r *http.Request) {
	list, err := a.Incidents.Alerts(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, list, err)
}

func (a *api) linkIncidentAlerts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AlertIDs []string `json:"alert_ids"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	inc, err := a.Incidents.LinkAlerts(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.AlertIDs)
	write(w, r, http.StatusOK, inc, err)
}

func (a *api) unlinkIncidentAlert(w http.ResponseWriter, r *http.Request) {
	inc, err := a.Incidents.UnlinkAlert(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PathValue("alert_id"))
	write(w, r, http.StatusOK, inc, err)
}

func (a *api) incidentSuggestions(w http.ResponseWriter, r *http.Request) {
	sugs, err := a.Incidents.Suggestions(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, map[string]any{"items": sugs}, err)
}

func (a *api) linkIncidentFindings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FindingIDs []string `json:"finding_ids"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	inc, err := a.Incidents.LinkFindings(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.FindingIDs)
	write(w, r, http.StatusOK, inc, err)
}

func (a *api) incidentTimeline(w http.ResponseWriter, r *http.Request) {
	items, err := a.Incidents.Timeline(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, map[string]any{"items": items}, err)
}

func (a *api) addIncidentEntry(w http.ResponseWriter, r *http.Request) {
	var in incident.NewEntry
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	e, err := a.Incidents.AddEntry(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusCreated, e, err)
}

func (a *api) incidentTasks(w http.ResponseWriter, r *http.Request) {
	items, err := a.Incidents.Tasks(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, map[string]any{"items": items}, err)
}

func (a *api) addIncidentTask(w http.ResponseWriter, r *http.Request) {
	var in incident.TaskInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := a.Incidents.AddTask(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusCreated, t, err)
}

func (a *api) updateIncidentTask(w http.ResponseWriter, r *http.Request) {
	var in incident.TaskInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := a.Incidents.UpdateTask(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PathValue("task_id"), in)
	write(w, r, http.StatusOK, t, err)
}

func (a *api) incidentObservables(w http.ResponseWriter, r *http.Request) {
	items, err := a.Incidents.Observables(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, map[string]any{"items": items}, err)
}

func (a *api) addIncidentObservable(w http.ResponseWriter, r *http.Request) {
	var in incident.NewObservable
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	o, err := a.Incidents.AddObservable(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	status := http.StatusCreated
	if o.Duplicate {
		status = http.StatusOK
	}
	write(w, r, status, o, err)
}

func (a *api) incidentReview(w http.ResponseWriter, r *http.Request) {
	rv, err := a.Incidents.Review(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, rv, err)
}

func (a *api) saveIncidentReview(w http.ResponseWriter, r *http.Request) {
	var in incident.ReviewInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rv, err := a.Incidents.SaveReview(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusOK, rv, err)
}

func (a *api) addIncidentFollowUp(w http.ResponseWriter, r *http.Request) {
	var in incident.NewFollowUp
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	fu, err := a.Incidents.AddFollowUp(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusCreated, fu, err)
}

func (a *api) listPlaybooks(w http.ResponseWriter, r *http.Request) {
	pbs, err := a.Incidents.Playbooks(r.Context(), web.ActorFrom(r.Context()))
	write(w, r, http.StatusOK, map[string]any{"items": pbs}, err)
}

func (a *api) savePlaybook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tasks []incident.PlaybookTask `json:"tasks"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	pb, err := a.Incidents.SavePlaybook(r.Context(), web.ActorFrom(r.Context()), r.PathValue("category"), in.Tasks)
	write(w, r, http.StatusOK, pb, err)
}

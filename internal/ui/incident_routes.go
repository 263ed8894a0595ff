package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerIncidents adds the incident response pages: the queue, the
// incident page with its evidence and review tabs, the forms, metrics,
// on call and playbooks.
func (u *ui) registerIncidents(rt *web.Router) {
	if u.Incidents == nil {
		return
	}
	rt.Handle(web.UI, "GET /incidents", authz.IncidentRead, u.incidentList)
	rt.Handle(web.UI, "GET /incidents/new", authz.IncidentCreate, u.incidentNewForm)
	rt.Handle(web.UI, "POST /incidents", authz.IncidentCreate, u.incidentCreate)
	rt.Handle(web.UI, "GET /incidents/metrics", authz.IncidentRead, u.incidentMetrics)
	rt.Handle(web.UI, "GET /incidents/{id}", authz.IncidentRead, u.incidentDetail)
	rt.Handle(web.UI, "POST /incidents/{id}/status", authz.IncidentUpdate, u.incidentStatus)
	rt.Handle(web.UI, "POST /incidents/{id}/people", authz.IncidentUpdate, u.incidentPeople)
	rt.Handle(web.UI, "GET /incidents/{id}/edit", authz.IncidentUpdate, u.incidentEditForm)
	rt.Handle(web.UI, "POST /incidents/{id}/edit", authz.IncidentUpdate, u.incidentEdit)
	rt.Handle(web.UI, "POST /incidents/{id}/alerts", authz.IncidentUpdate, u.incidentLinkAlerts)
	rt.Handle(web.UI, "POST /incidents/{id}/alerts/{alert_id}/unlink", authz.IncidentUpdate, u.incidentUnlinkAlert)
	rt.Handle(web.UI, "POST /incidents/{id}/timeline", authz.IncidentUpdate, u.incidentAddEntry)
	rt.Handle(web.UI, "POST /incidents/{id}/tasks", authz.IncidentUpdate, u.incidentAddTask)
	rt.Handle(web.UI, "POST /incidents/{id}/tasks/{task_id}", authz.IncidentUpdate, u.incidentTask)
	rt.Handle(web.UI, "POST /incidents/{id}/observables", authz.IncidentUpdate, u.incidentAddObservable)
	rt.Handle(web.UI, "GET /incidents/{id}/review", authz.IncidentRead, u.incidentReview)
	rt.Handle(web.UI, "POST /incidents/{id}/review", authz.IncidentUpdate, u.incidentSaveReview)
	rt.Handle(web.UI, "POST /incidents/{id}/review/follow-ups", authz.IncidentUpdate, u.incidentFollowUp)
	rt.Handle(web.UI, "GET /incidents/{id}/report.md", authz.IncidentRead, u.incidentReportMD)
	rt.Handle(web.UI, "GET /incidents/{id}/report.pdf", authz.IncidentRead, u.incidentReportPDF)
	if u.Evidence != nil {
		rt.Handle(web.UI, "GET /incidents/{id}/evidence", authz.EvidenceRead, u.incidentEvidence)
		rt.Handle(web.UI, "POST /incidents/{id}/evidence", authz.EvidenceCreate, u.evidenceUpload)
		rt.Handle(web.UI, "GET /incidents/{id}/bundle.zip", authz.EvidenceRead, u.evidenceBundle)
		rt.Handle(web.UI, "POST /evidence/{id}/custody", authz.EvidenceCustody, u.evidenceCustody)
		rt.Handle(web.UI, "GET /evidence/{id}/download", authz.EvidenceRead, u.evidenceDownload)
	}

	rt.Handle(web.UI, "GET /oncall", authz.OnCallRead, u.onCall)
	rt.Handle(web.UI, "POST /oncall/rotations", authz.OnCallManage, u.onCallRotation)
	rt.Handle(web.UI, "POST /oncall/rotations/{id}/delete", authz.OnCallManage, u.onCallRotationDelete)
	rt.Handle(web.UI, "POST /oncall/policy", authz.OnCallManage, u.onCallPolicy)
	rt.Handle(web.UI, "POST /oncall/webhooks", authz.OnCallManage, u.onCallWebhook)
	rt.Handle(web.UI, "POST /oncall/webhooks/{id}/delete", authz.OnCallManage, u.onCallWebhookDelete)

	rt.Handle(web.UI, "GET /playbooks", authz.IncidentRead, u.playbooks)
	rt.Handle(web.UI, "POST /playbooks/{category}/tasks", authz.PlaybookManage, u.playbookSave)
}

// incidentTabs are the tabs of an incident's pages.
type incidentTabs struct {
	ID, Current string
	Evidence    bool // the evidence tab is there
}

func (u *ui) tabs(id, current string) incidentTabs {
	return incidentTabs{ID: id, Current: current, Evidence: u.Evidence != nil}
}

// back redirects to the incident page (at an anchor) with a notice.
func (u *ui) back(w http.ResponseWriter, r *http.Request, id, anchor, notice string) {
	if notice != "" {
		u.flash(r, notice)
	}
	to := "/incidents/" + id
	if anchor != "" {
		to += "#" + anchor
	}
	redirect(w, r, to)
}

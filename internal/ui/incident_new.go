package ui

import (
	"net/http"
	"slices"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

type incidentNewData struct {
	In         incident.NewIncident
	Alerts     []detect.Alert     // the alerts it is made from
	Findings   []findings.Finding // the findings that show the compromise
	Agencies   []registry.Agency
	Severities []string
	Categories []incident.Category
}

func (d *incidentNewData) Chosen(code string) bool { return slices.Contains(d.In.Agencies, code) }

// newIncidentData fills the form: from the alerts named (the alert page's
// button and the alert queue's selection) the title, severity and agencies
// are suggested.
func (u *ui) newIncidentData(r *http.Request, in incident.NewIncident) (*incidentNewData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d := &incidentNewData{In: in, Severities: incident.Severities, Categories: incident.Categories}
	ags, err := u.Registry.ListAgencies(ctx, a)
	if err != nil {
		return nil, err
	}
	for _, ag := range ags {
		if authz.Check(a, authz.IncidentCreate, authz.Record(ag.ID)) == nil {
			d.Agencies = append(d.Agencies, ag)
		}
	}
	var fids []string
	for _, fid := range in.FindingIDs {
		if f, err := u.Findings.Get(ctx, a, fid); err == nil {
			d.Findings = append(d.Findings, f)
			fids = append(fids, f.ID)
		}
	}
	if len(fids) == len(in.FindingIDs) {
		d.In.FindingIDs = fids
	}
	if u.Monitoring != nil && u.Monitoring.Detect != nil {
		var ids []string
		for _, aid := range in.AlertIDs {
			al, err := u.Monitoring.Detect.AlertByID(ctx, a, aid)
			if err != nil {
				continue // gone or hidden: the create call names it
			}
			d.Alerts = append(d.Alerts, al)
			ids = append(ids, al.ID)
		}
		if len(d.Alerts) > 0 && len(in.AlertIDs) == len(ids) {
			d.In.AlertIDs = ids
		}
	}
	return d, nil
}

func (u *ui) incidentNewForm(w http.ResponseWriter, r *http.Request) {
	in := incident.NewIncident{AlertIDs: r.URL.Query()["alert"], FindingIDs: r.URL.Query()["finding"], Severity: "medium", Category: "other"}
	if len(in.AlertIDs) > 200 {
		in.AlertIDs = in.AlertIDs[:200]
	}
	if len(in.FindingIDs) > 20 {
		in.FindingIDs = in.FindingIDs[:20]
	}
	d, err := u.newIncidentData(r, in)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// Suggest from the alerts: the worst level, their agencies, a title.
	rank := map[string]int{"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
	best := -1
	for _, al := range d.Alerts {
		if rank[al.Level] > best {
			best = rank[al.Level]
			d.In.Severity = map[int]string{0: "low", 1: "low", 2: "medium", 3: "high", 4: "critical"}[best]
		}
		if al.AgencyID != "" && !slices.Contains(d.In.Agencies, al.Agency) {
			d.In.Agencies = append(d.In.Agencies, al.Agency)
		}
	}
	for _, f := range d.Findings {
		sev := f.Severity
		if sev == "info" {
			sev = "low"
		}
		if incidentRank(sev) > incidentRank(d.In.Severity) {
			d.In.Severity = sev
		}
		if !slices.Contains(d.In.Agencies, f.Agency) {
			d.In.Agencies = append(d.In.Agencies, f.Agency)
		}
		if d.In.Title == "" {
			d.In.Title = "Compromise: " + f.Title
			d.In.Category = "vulnerability-exploitation"
		}
	}
	if len(d.Alerts) > 0 {
		d.In.Title = d.Alerts[0].RuleTitle
		if len(d.Alerts) > 1 {
			d.In.Title += " and related alerts"
		}
	} else if len(d.Agencies) == 1 {
		d.In.Agencies = []string{d.Agencies[0].Code}
	}
	u.render(w, r, http.StatusOK, "incident_new.html", page{Title: "Open an incident", Data: d})
}

func (u *ui) incidentCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	in := incident.NewIncident{Title: r.PostFormValue("title"), Severity: r.PostFormValue("severity"), Category: r.PostFormValue("category"),
		Description: r.PostFormValue("description"), Agencies: r.PostForm["agencies"], AlertIDs: r.PostForm["alert_ids"], FindingIDs: r.PostForm["finding_ids"]}
	inc, err := u.Incidents.Create(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		d, derr := u.newIncidentData(r, in)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		u.formFail(w, r, err, "incident_new.html", "", "alert_ids", page{Title: "Open an incident", Data: d})
		return
	}
	u.flash(r, "Incident opened.")
	redirect(w, r, "/incidents/"+inc.ID)
}

func incidentRank(sev string) int {
	return map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}[sev]
}

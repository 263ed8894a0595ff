package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// incidentForms keeps what was typed into the incident page's forms, to
// show again beside the problems.
type incidentForms struct {
	Status, Note              string
	EntryAt, EntryText        string
	TaskTitle, TaskAssignee   string
	TaskDue                   string
	ObsType, ObsValue, ObsTLP string
	LinkIDs                   string
}

type incidentPage struct {
	Inc             incident.Incident
	Tabs            incidentTabs
	Clocks          []incident.ClockRow
	Chart           incident.ClockChart
	Attack          []string
	Alerts          incident.AlertList
	Suggestions     []incident.Suggestion
	Tasks           []incident.Task
	Observables     []incident.Observable
	Timeline        []incident.Entry
	CanUpdate       bool
	Moves           []string // statuses it may move to
	Lead, Assigned  bool     // the caller leads it, is assigned
	CanLead         bool     // the caller may lead it (central operations)
	ObservableTypes []string
	TLPs            []string
	Form            incidentForms
	Now             string // datetime-local value of now (UTC), for the entry form
}

func (u *ui) incidentPage(r *http.Request, id string) (*incidentPage, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	inc, err := u.Incidents.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	d := &incidentPage{Inc: inc, Tabs: u.tabs(inc.ID, "overview"), Clocks: incident.ClockRows(inc.Clocks, now), Chart: incident.NewClockChart(inc.Clocks, now),
		CanUpdate: authz.Check(a, authz.IncidentUpdate, authz.Record(inc.AgencyIDs...)) == nil, ObservableTypes: incident.ObservableTypes,
		TLPs: incident.TLPs, Lead: inc.LeadID == a.UserID, CanLead: authz.ScopeOf(a, authz.IncidentUpdate).All,
		Form: incidentForms{ObsTLP: "amber"}, Now: now.UTC().Format(localTime)}
	for _, s := range incident.Statuses {
		if s != inc.Status {
			d.Moves = append(d.Moves, s)
		}
	}
	for _, uid := range inc.AssigneeIDs {
		d.Assigned = d.Assigned || uid == a.UserID
	}
	if d.Attack, err = u.Incidents.Techniques(ctx, a, id); err != nil {
		return nil, err
	}
	if d.Alerts, err = u.Incidents.Alerts(ctx, a, id); err != nil {
		return nil, err
	}
	if d.CanUpdate {
		if d.Suggestions, err = u.Incidents.Suggestions(ctx, a, id); err != nil {
			return nil, err
		}
	}
	if d.Tasks, err = u.Incidents.Tasks(ctx, a, id); err != nil {
		return nil, err
	}
	if d.Observables, err = u.Incidents.Observables(ctx, a, id); err != nil {
		return nil, err
	}
	if d.Timeline, err = u.Incidents.Timeline(ctx, a, id); err != nil {
		return nil, err
	}
	return d, nil
}

func (u *ui) incidentDetail(w http.ResponseWriter, r *http.Request) {
	d, err := u.incidentPage(r, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "incident_detail.html", page{Title: d.Inc.Title, Data: d})
}

// incidentFail answers a failed action of the incident page: problems with
// the input (and refused moves) are shown on the page again beside the
// form (inputs with ids prefix+field), anything else as an error page.
func (u *ui) incidentFail(w http.ResponseWriter, r *http.Request, err error, prefix, conflictField string, keep func(*incidentForms)) {
	probs, ok := problemsOf(err, prefix, conflictField)
	if !ok {
		u.fail(w, r, err)
		return
	}
	d, perr := u.incidentPage(r, r.PathValue("id"))
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	if keep != nil {
		keep(&d.Form)
	}
	status := http.StatusBadRequest
	if errors.Is(err, validate.ErrConflict) {
		status = http.StatusConflict
	}
	u.render(w, r, status, "incident_detail.html", page{Title: d.Inc.Title, Data: d, Problems: probs})
}

func (u *ui) incidentStatus(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ch := incident.StatusChange{Status: r.PostFormValue("status"), Note: r.PostFormValue("note")}
	_, err := u.Incidents.ChangeStatus(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), ch)
	if err != nil {
		u.incidentFail(w, r, err, "move-", "status", func(f *incidentForms) { f.Status, f.Note = ch.Status, ch.Note })
		return
	}
	u.back(w, r, r.PathValue("id"), "", "Status: "+humanise(ch.Status)+".")
}

// incidentPeople runs the quick actions: take the lead, assign me, unassign me.
func (u *ui) incidentPeople(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx, a, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	inc, err := u.Incidents.Get(ctx, a, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	var p incident.Patch
	notice := ""
	switch r.PostFormValue("action") {
	case "lead":
		p.LeadID, notice = &a.UserID, "You lead this incident."
	case "assign-me":
		ids := append(append([]string{}, inc.AssigneeIDs...), a.UserID)
		p.AssigneeIDs, notice = &ids, "You are assigned."
	case "unassign-me":
		var ids []string
		for _, x := range inc.AssigneeIDs {
			if x != a.UserID {
				ids = append(ids, x)
			}
		}
		p.AssigneeIDs, notice = &ids, "You are no longer assigned."
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	if _, err := u.Incidents.Update(ctx, a, id, p); err != nil {
		if probs, ok := problemsOf(err, "", ""); ok {
			u.flashErr(r, probs[0].Text()+".")
			redirect(w, r, "/incidents/"+id)
			return
		}
		u.fail(w, r, err)
		return
	}
	u.back(w, r, id, "", notice)
}

func (u *ui) incidentLinkAlerts(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ids := append([]string{}, r.PostForm["alert_id"]...)
	raw := r.PostFormValue("alert_ids")
	ids = append(ids, strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })...)
	_, err := u.Incidents.LinkAlerts(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), ids)
	if err != nil {
		u.incidentFail(w, r, err, "link-", "alert_ids", func(f *incidentForms) { f.LinkIDs = raw })
		return
	}
	u.back(w, r, r.PathValue("id"), "alerts", "Alerts linked.")
}

func (u *ui) incidentUnlinkAlert(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	if _, err := u.Incidents.UnlinkAlert(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PathValue("alert_id")); err != nil {
		u.fail(w, r, err)
		return
	}
	u.back(w, r, r.PathValue("id"), "alerts", "Alert unlinked.")
}

func (u *ui) incidentAddEntry(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	atText, text := r.PostFormValue("at"), r.PostFormValue("text")
	keep := func(f *incidentForms) { f.EntryAt, f.EntryText = atText, text }
	in := incident.NewEntry{Text: text}
	if atText != "" {
		at, ok := parseLocal(atText)
		if !ok {
			u.incidentFail(w, r, validate.Errors{{Field: "at", Message: "must be a date and time"}}, "entry-", "", keep)
			return
		}
		in.At = &at
	}
	if _, err := u.Incidents.AddEntry(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in); err != nil {
		u.incidentFail(w, r, err, "entry-", "text", keep)
		return
	}
	u.back(w, r, r.PathValue("id"), "timeline", "Added to the timeline.")
}

func (u *ui) incidentAddTask(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	title, assignee, due := r.PostFormValue("title"), r.PostFormValue("assignee"), r.PostFormValue("due_at")
	keep := func(f *incidentForms) { f.TaskTitle, f.TaskAssignee, f.TaskDue = title, assignee, due }
	in := incident.TaskInput{Title: &title}
	if strings.TrimSpace(assignee) != "" {
		in.Assignee = &assignee
	}
	if due != "" {
		at, ok := parseLocal(due)
		if !ok {
			u.incidentFail(w, r, validate.Errors{{Field: "due_at", Message: "must be a date and time"}}, "task-", "", keep)
			return
		}
		in.DueAt = &at
	}
	if _, err := u.Incidents.AddTask(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in); err != nil {
		u.incidentFail(w, r, err, "task-", "title", keep)
		return
	}
	u.back(w, r, r.PathValue("id"), "tasks", "Task added.")
}

// incidentTask runs a task's buttons: done, reopen, take it.
func (u *ui) incidentTask(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	var in incident.TaskInput
	notice := ""
	switch r.PostFormValue("action") {
	case "done":
		in.Status, notice = ptrTo(incident.TaskDone), "Task done."
	case "reopen":
		in.Status, notice = ptrTo(incident.TaskOpen), "Task reopened."
	case "take":
		in.Assignee, notice = ptrTo(a.UserID), "Task assigned to you."
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	if _, err := u.Incidents.UpdateTask(r.Context(), a, r.PathValue("id"), r.PathValue("task_id"), in); err != nil {
		if probs, ok := problemsOf(err, "", ""); ok {
			u.flashErr(r, probs[0].Text()+".")
			redirect(w, r, "/incidents/"+r.PathValue("id")+"#tasks")
			return
		}
		u.fail(w, r, err)
		return
	}
	u.back(w, r, r.PathValue("id"), "tasks", notice)
}

func ptrTo[T any](v T) *T { return &v }

func (u *ui) incidentAddObservable(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	in := incident.NewObservable{Type: r.PostFormValue("type"), Value: r.PostFormValue("value"), TLP: r.PostFormValue("tlp")}
	o, err := u.Incidents.AddObservable(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		u.incidentFail(w, r, err, "obs-", "value", func(f *incidentForms) { f.ObsType, f.ObsValue, f.ObsTLP = in.Type, in.Value, in.TLP })
		return
	}
	notice := "Observable added."
	if o.Duplicate {
		notice = "That observable is already on this incident."
	}
	u.back(w, r, r.PathValue("id"), "observables", notice)
}

type incidentEditData struct {
	Inc        incident.Incident
	Tabs       incidentTabs
	Severities []string
	Categories []incident.Category
}

func (u *ui) incidentEditForm(w http.ResponseWriter, r *http.Request) {
	inc, err := u.Incidents.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "incident_edit.html", page{Title: "Change " + inc.Title,
		Data: incidentEditData{Inc: inc, Tabs: u.tabs(inc.ID, "edit"), Severities: incident.Severities, Categories: incident.Categories}})
}

func (u *ui) incidentEdit(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx, a, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	title, sev, cat, desc := r.PostFormValue("title"), r.PostFormValue("severity"), r.PostFormValue("category"), r.PostFormValue("description")
	_, err := u.Incidents.Update(ctx, a, id, incident.Patch{Title: &title, Severity: &sev, Category: &cat, Description: &desc})
	if err != nil {
		inc, gerr := u.Incidents.Get(ctx, a, id)
		if gerr != nil {
			u.fail(w, r, gerr)
			return
		}
		inc.Title, inc.Severity, inc.Category, inc.Description = title, sev, cat, desc
		u.formFail(w, r, err, "incident_edit.html", "", "title", page{Title: "Change " + inc.Title,
			Data: incidentEditData{Inc: inc, Tabs: u.tabs(inc.ID, "edit"), Severities: incident.Severities, Categories: incident.Categories}})
		return
	}
	u.back(w, r, id, "", "Incident changed.")
}

func (u *ui) incidentReportMD(w http.ResponseWriter, r *http.Request) {
	md, name, err := u.Incidents.ReportMarkdown(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.md"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(md)
}

func (u *ui) incidentReportPDF(w http.ResponseWriter, r *http.Request) {
	pdf, name, err := u.Incidents.ReportPDF(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if errors.Is(err, incident.ErrNoPDF) {
		u.render(w, r, http.StatusServiceUnavailable, "error.html", page{Title: "No PDF", Error: "PDF reports need Chromium on the server. The Markdown report works."})
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

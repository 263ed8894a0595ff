package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type onCallData struct {
	Now        incident.OnCallNow
	Rotations  []incident.Rotation
	Policy     incident.Policy
	Webhooks   []incident.Webhook
	Pages      []incident.Page
	CanManage  bool
	Severities []string
	Rotation   incident.RotationInput // the add form
	Members    string
	NewSecret  string // a webhook's secret, shown once
}

func (u *ui) onCallPage(r *http.Request) (*onCallData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d := &onCallData{CanManage: authz.Check(a, authz.OnCallManage, authz.Record()) == nil, Severities: incident.Severities,
		Rotation: incident.RotationInput{TimeZone: "Asia/Singapore", Handover: "09:00", ShiftDays: 7}}
	var err error
	if d.Now, err = u.Incidents.WhoIsOnCall(ctx, a); err != nil {
		return nil, err
	}
	if d.Rotations, err = u.Incidents.Rotations(ctx, a); err != nil {
		return nil, err
	}
	if d.Policy, err = u.Incidents.Policy(ctx, a); err != nil {
		return nil, err
	}
	if d.Webhooks, err = u.Incidents.Webhooks(ctx, a); err != nil {
		return nil, err
	}
	if d.Pages, err = u.Incidents.Pages(ctx, a); err != nil {
		return nil, err
	}
	if len(d.Pages) > 50 {
		d.Pages = d.Pages[:50]
	}
	return d, nil
}

func (u *ui) onCall(w http.ResponseWriter, r *http.Request) {
	d, err := u.onCallPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "oncall.html", page{Title: "On call", Data: d})
}

// onCallFail shows the on-call page again with the problems of a form.
func (u *ui) onCallFail(w http.ResponseWriter, r *http.Request, err error, prefix, conflictField string, keep func(*onCallData)) {
	d, perr := u.onCallPage(r)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	if keep != nil {
		keep(d)
	}
	u.formFail(w, r, err, "oncall.html", prefix, conflictField, page{Title: "On call", Data: d})
}

func (u *ui) onCallRotation(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	days, _ := strconv.Atoi(r.PostFormValue("shift_days"))
	members := r.PostFormValue("members")
	in := incident.RotationInput{Name: r.PostFormValue("name"), TimeZone: r.PostFormValue("time_zone"), Handover: r.PostFormValue("handover"),
		ShiftDays: days, StartsOn: r.PostFormValue("starts_on"), Members: strings.FieldsFunc(members, func(c rune) bool { return c == ',' || c == '\n' || c == '\r' || c == ' ' })}
	if _, err := u.Incidents.SaveRotation(r.Context(), web.ActorFrom(r.Context()), r.PostFormValue("id"), in); err != nil {
		u.onCallFail(w, r, err, "rot-", "name", func(d *onCallData) { d.Rotation, d.Members = in, members })
		return
	}
	u.flash(r, "Rotation saved.")
	redirect(w, r, "/oncall")
}

func (u *ui) onCallRotationDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	if err := u.Incidents.DeleteRotation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		if probs, ok := problemsOf(err, "", ""); ok {
			u.flashErr(r, probs[0].Message)
			redirect(w, r, "/oncall")
			return
		}
		u.fail(w, r, err)
		return
	}
	u.flash(r, "Rotation deleted.")
	redirect(w, r, "/oncall")
}

func (u *ui) onCallPolicy(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	mins, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("ack_minutes")))
	if err != nil {
		u.onCallFail(w, r, validate.Errors{{Field: "ack_minutes", Message: "must be a whole number of minutes"}}, "pol-", "", nil)
		return
	}
	p := incident.Policy{PrimaryRotation: r.PostFormValue("primary_rotation"), SecondaryRotation: r.PostFormValue("secondary_rotation"),
		LeadID: strings.TrimSpace(r.PostFormValue("lead")), AckMinutes: mins, MinSeverity: r.PostFormValue("min_severity")}
	if _, err := u.Incidents.SetPolicy(r.Context(), web.ActorFrom(r.Context()), p); err != nil {
		u.onCallFail(w, r, err, "pol-", "primary_rotation", func(d *onCallData) { d.Policy = p })
		return
	}
	u.flash(r, "Escalation policy saved.")
	redirect(w, r, "/oncall")
}

func (u *ui) onCallWebhook(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	h, err := u.Incidents.AddWebhook(r.Context(), web.ActorFrom(r.Context()), r.PostFormValue("name"), r.PostFormValue("url"))
	if err != nil {
		u.onCallFail(w, r, err, "wh-", "name", nil)
		return
	}
	d, err := u.onCallPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.NewSecret = h.Secret // shown once, on this page only
	u.render(w, r, http.StatusOK, "oncall.html", page{Title: "On call", Data: d, Notice: "Webhook added. Copy its signing secret now: it is not shown again."})
}

func (u *ui) onCallWebhookDelete(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	if err := u.Incidents.DeleteWebhook(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, "Webhook deleted.")
	redirect(w, r, "/oncall")
}

type playbooksData struct {
	Playbooks []playbookForm
	CanEdit   bool
}

type playbookForm struct {
	incident.Playbook
	Text string // one task a line: "title | hours"
}

func playbookText(tasks []incident.PlaybookTask) string {
	var b strings.Builder
	for _, t := range tasks {
		b.WriteString(t.Title)
		if t.DueHours > 0 {
			b.WriteString(" | " + strconv.Itoa(t.DueHours))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (u *ui) playbooksPage(r *http.Request) (*playbooksData, error) {
	a := web.ActorFrom(r.Context())
	pbs, err := u.Incidents.Playbooks(r.Context(), a)
	if err != nil {
		return nil, err
	}
	d := &playbooksData{CanEdit: authz.Check(a, authz.PlaybookManage, authz.Record()) == nil}
	for _, p := range pbs {
		d.Playbooks = append(d.Playbooks, playbookForm{Playbook: p, Text: playbookText(p.Tasks)})
	}
	return d, nil
}

func (u *ui) playbooks(w http.ResponseWriter, r *http.Request) {
	d, err := u.playbooksPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "playbooks.html", page{Title: "Playbooks", Data: d})
}

// parsePlaybook reads one task a line, "title" or "title | hours".
func parsePlaybook(text string) ([]incident.PlaybookTask, error) {
	var out []incident.PlaybookTask
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		t := incident.PlaybookTask{Title: line}
		if title, hours, ok := strings.Cut(line, "|"); ok {
			h, err := strconv.Atoi(strings.TrimSpace(hours))
			if err != nil {
				return nil, validate.Errors{{Field: "tasks", Message: "line " + strconv.Itoa(i+1) + ": the due time after | must be a whole number of hours"}}
			}
			t = incident.PlaybookTask{Title: strings.TrimSpace(title), DueHours: h}
		}
		if t.Title == "" {
			return nil, validate.Errors{{Field: "tasks", Message: "line " + strconv.Itoa(i+1) + ": a task needs a title before the |"}}
		}
		out = append(out, t)
	}
	return out, nil
}

func (u *ui) playbookSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	cat := r.PathValue("category")
	text := r.PostFormValue("tasks")
	tasks, err := parsePlaybook(text)
	if err == nil {
		_, err = u.Incidents.SavePlaybook(r.Context(), web.ActorFrom(r.Context()), cat, tasks)
	}
	if err != nil {
		d, derr := u.playbooksPage(r)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		for i := range d.Playbooks {
			if d.Playbooks[i].Category == cat {
				d.Playbooks[i].Text = text
			}
		}
		u.formFail(w, r, err, "playbooks.html", "pb-"+cat+"-", "tasks", page{Title: "Playbooks", Data: d})
		return
	}
	u.flash(r, "Playbook saved.")
	redirect(w, r, "/playbooks#pb-"+cat)
}

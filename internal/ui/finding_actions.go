package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/web"
)

// findingAction runs one of the finding page's forms, already read: load
// the page (so a finding the caller may not see is a 404 before anything
// else), run do, and on success redirect back to the finding with a
// notice. When do fails because of the input, the page is shown again with
// the problems beside the form's inputs (their ids start with prefix) and
// what was typed kept by keep.
func (u *ui) findingAction(w http.ResponseWriter, r *http.Request, prefix string, keep func(*findingData),
	do func(f findings.Finding) (notice string, probs []problem, err error)) {
	d, err := u.findingPage(r, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	keep(d)
	p := page{Title: d.Finding.Title, Data: d}
	notice, probs, err := do(d.Finding)
	switch {
	case len(probs) > 0:
		p.Problems = probs
		u.render(w, r, http.StatusBadRequest, "finding.html", p)
		return
	case errors.Is(err, findings.ErrSamePerson):
		p.Error = capitalise(err.Error()) + "."
		u.render(w, r, http.StatusConflict, "finding.html", p)
		return
	case err != nil:
		u.formFail(w, r, err, "finding.html", prefix, "status", p)
		return
	}
	u.flash(r, notice)
	redirect(w, r, "/findings/"+d.Finding.ID)
}

func (u *ui) findingComment(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	body := r.PostFormValue("body")
	u.findingAction(w, r, "comment-", func(d *findingData) { d.Comment = body },
		func(f findings.Finding) (string, []problem, error) {
			_, err := u.Findings.AddComment(r.Context(), web.ActorFrom(r.Context()), f.ID, body)
			return "Comment added.", nil, err
		})
}

func (u *ui) findingStatus(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	sf := statusForm{Status: r.PostFormValue("status"), DuplicateOf: strings.TrimSpace(r.PostFormValue("duplicate_of")), Reason: r.PostFormValue("reason")}
	u.findingAction(w, r, "status-", func(d *findingData) { d.Status = sf },
		func(f findings.Finding) (string, []problem, error) {
			c := check{prefix: "status-"}
			if sf.Status == "" || sf.Status == f.Status {
				c.add("status", "must be a new status")
				return "", c.list, nil
			}
			p := findings.Patch{Status: &sf.Status, Reason: sf.Reason}
			if sf.Status == "duplicate" {
				p.DuplicateOf = &sf.DuplicateOf
			}
			_, err := u.Findings.Update(r.Context(), web.ActorFrom(r.Context()), f.ID, p)
			return "Status changed to " + humanise(sf.Status) + ".", nil, err
		})
}

func (u *ui) findingSeverity(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	sf := severityForm{Severity: r.PostFormValue("severity"), Reason: r.PostFormValue("reason")}
	u.findingAction(w, r, "severity-", func(d *findingData) { d.Severity = sf },
		func(f findings.Finding) (string, []problem, error) {
			c := check{prefix: "severity-"}
			if sf.Severity == f.Severity {
				c.add("severity", "must differ from the current severity")
			}
			if strings.TrimSpace(sf.Reason) == "" {
				c.add("reason", "is required: say why the severity changes")
			}
			if !c.ok() {
				return "", c.list, nil
			}
			_, err := u.Findings.Update(r.Context(), web.ActorFrom(r.Context()), f.ID, findings.Patch{Severity: &sf.Severity, Reason: sf.Reason})
			return "Severity changed to " + humanise(sf.Severity) + "; the due date follows the agency's SLA policy.", nil, err
		})
}

func (u *ui) findingRiskRequest(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	rf := riskForm{Reason: r.PostFormValue("reason"), Expires: strings.TrimSpace(r.PostFormValue("expires_at"))}
	u.findingAction(w, r, "risk-", func(d *findingData) { d.Risk = rf },
		func(f findings.Finding) (string, []problem, error) {
			c := check{prefix: "risk-"}
			day, err := time.Parse(time.DateOnly, rf.Expires)
			if err != nil {
				c.add("expires_at", "must be a date, such as "+time.Now().AddDate(0, 3, 0).Format(time.DateOnly))
				return "", c.list, nil
			}
			// The acceptance lasts to the end of the chosen day (UTC).
			until := day.Add(24*time.Hour - time.Millisecond)
			_, err = u.Findings.RequestRiskAcceptance(r.Context(), web.ActorFrom(r.Context()), f.ID, rf.Reason, until)
			return "Risk acceptance requested. An agency administrator other than you must approve it.", nil, err
		})
}

func (u *ui) findingRiskDecision(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	note := r.PostFormValue("note")
	decision := r.PostFormValue("decision")
	u.findingAction(w, r, "decision-", func(d *findingData) { d.Decision = note },
		func(f findings.Finding) (string, []problem, error) {
			if decision != "approve" && decision != "reject" {
				c := check{prefix: "decision-"}
				c.add("risk_acceptance", "choose approve or reject")
				return "", c.list, nil
			}
			_, err := u.Findings.DecideRiskAcceptance(r.Context(), web.ActorFrom(r.Context()), f.ID, decision == "approve", note)
			if decision == "approve" {
				return "Risk acceptance approved; the finding is risk-accepted until the expiry date.", nil, err
			}
			return "Risk acceptance rejected.", nil, err
		})
}

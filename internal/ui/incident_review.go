package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

type incidentReviewData struct {
	Inc        incident.Incident
	Tabs       incidentTabs
	Review     incident.Review
	CanUpdate  bool
	Systems    []registry.System // systems a follow-up may be opened on
	Severities []string
	FollowUp   incident.NewFollowUp
}

func (u *ui) reviewPage(r *http.Request) (*incidentReviewData, error) {
	ctx, a, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	inc, err := u.Incidents.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	rv, err := u.Incidents.Review(ctx, a, id)
	if err != nil {
		return nil, err
	}
	d := &incidentReviewData{Inc: inc, Tabs: u.tabs(id, "review"), Review: rv, Severities: findings.Severities,
		CanUpdate: authz.Check(a, authz.IncidentUpdate, authz.Record(inc.AgencyIDs...)) == nil, FollowUp: incident.NewFollowUp{Severity: "medium"}}
	if d.CanUpdate {
		for _, agID := range inc.AgencyIDs {
			if authz.Check(a, authz.FindingCreate, authz.Record(agID)) != nil {
				continue
			}
			page, err := u.Registry.ListSystems(ctx, a, registry.SystemFilter{AgencyID: agID, Limit: 1000})
			if err != nil {
				return nil, err
			}
			d.Systems = append(d.Systems, page.Items...)
		}
	}
	return d, nil
}

func (u *ui) incidentReview(w http.ResponseWriter, r *http.Request) {
	d, err := u.reviewPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "incident_review.html", page{Title: "Review: " + d.Inc.Title, Data: d})
}

func (u *ui) incidentSaveReview(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := func(k string) *string { v := r.PostFormValue(k); return &v }
	in := incident.ReviewInput{WhatHappened: f("what_happened"), Impact: f("impact"), RootCause: f("root_cause"), WentWell: f("went_well"), ToChange: f("to_change")}
	switch r.PostFormValue("action") {
	case "complete":
		in.Complete = ptrTo(true)
	case "reopen":
		in.Complete = ptrTo(false)
	}
	_, err := u.Incidents.SaveReview(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		d, derr := u.reviewPage(r)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		d.Review.WhatHappened, d.Review.Impact, d.Review.RootCause, d.Review.WentWell, d.Review.ToChange = *in.WhatHappened, *in.Impact, *in.RootCause, *in.WentWell, *in.ToChange
		u.formFail(w, r, err, "incident_review.html", "", "what_happened", page{Title: "Review: " + d.Inc.Title, Data: d})
		return
	}
	u.flash(r, "Review saved.")
	redirect(w, r, "/incidents/"+r.PathValue("id")+"/review")
}

func (u *ui) incidentFollowUp(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	in := incident.NewFollowUp{SystemID: r.PostFormValue("system_id"), Title: r.PostFormValue("title"), Severity: r.PostFormValue("severity"),
		Description: r.PostFormValue("description")}
	_, err := u.Incidents.AddFollowUp(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		d, derr := u.reviewPage(r)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		d.FollowUp = in
		u.formFail(w, r, err, "incident_review.html", "fu-", "title", page{Title: "Review: " + d.Inc.Title, Data: d})
		return
	}
	u.flash(r, "Follow-up finding opened.")
	redirect(w, r, "/incidents/"+r.PathValue("id")+"/review#follow-ups")
}

package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/web"
)

// containmentForm is the request form as typed.
type containmentForm struct {
	Type, Value, TTL, Reason, IncidentID string
}

type containmentData struct {
	Pending, Active, Ended []contain.Action
	ExpiringSoon           map[string]bool // active action ids ending within a day
	Form                   containmentForm
	DryRun                 *contain.DryRun
	CanRequest, CanApprove bool
	TwoPerson              bool
	Types                  []string
}

func (p *intelPages) loadQueue(r *http.Request, d *containmentData) error {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d.Types, d.TwoPerson = contain.Types, p.Contain.TwoPerson()
	d.CanRequest = authz.Allowed(a, authz.ContainmentRequest, authz.Collection())
	d.CanApprove = authz.Allowed(a, authz.ContainmentApprove, authz.Collection())
	d.ExpiringSoon = map[string]bool{}
	for _, part := range []struct {
		statuses []string
		dst      *[]contain.Action
	}{{[]string{contain.StatusPending}, &d.Pending}, {[]string{contain.StatusActive}, &d.Active},
		{[]string{contain.StatusExpired, contain.StatusRevoked}, &d.Ended}} {
		page, err := p.Contain.List(ctx, a, contain.Filter{Statuses: part.statuses, Limit: 100})
		if err != nil {
			return err
		}
		*part.dst = page.Items
	}
	soon := time.Now().Add(24 * time.Hour)
	for _, act := range d.Active {
		if act.ExpiresAt.Before(soon) {
			d.ExpiringSoon[act.ID] = true
		}
	}
	if len(d.Ended) > 20 {
		d.Ended = d.Ended[:20]
	}
	return nil
}

// containmentQueue is the queue: pending approval, active (those expiring
// within a day marked), recently ended, and the request form.
func (p *intelPages) containmentQueue(w http.ResponseWriter, r *http.Request) {
	d := &containmentData{Form: containmentForm{Type: "ip", TTL: "24h"}}
	if err := p.loadQueue(r, d); err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "containment.html", page{Title: "Containment", Data: d})
}

// containmentCreate requests an action, or previews it (dry run).
func (p *intelPages) containmentCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := containmentForm{Type: r.PostFormValue("type"), Value: r.PostFormValue("value"), TTL: r.PostFormValue("ttl"),
		Reason: r.PostFormValue("reason"), IncidentID: strings.TrimSpace(r.PostFormValue("incident_id"))}
	dry := r.PostFormValue("dry_run") != ""
	act, d, err := p.Contain.Create(r.Context(), web.ActorFrom(r.Context()), contain.Request{Type: f.Type, Value: f.Value, TTL: f.TTL,
		Reason: f.Reason, IncidentID: f.IncidentID, DryRun: dry})
	data := &containmentData{Form: f, DryRun: d}
	if lerr := p.loadQueue(r, data); lerr != nil {
		p.fail(w, r, lerr)
		return
	}
	pg := page{Title: "Containment", Data: data}
	var re *contain.RefusedError
	switch {
	case errors.As(err, &re):
		pg.Problems = []problem{{Anchor: "contain-value", Label: "Value", Message: "refused: " + re.Reason + " (guard rail " + re.Rule + ")"}}
		p.render(w, r, http.StatusUnprocessableEntity, "containment.html", pg)
		return
	case err != nil:
		p.formFail(w, r, err, "containment.html", "contain-", "value", pg)
		return
	case d != nil:
		pg.Notice = "Dry run: nothing was changed."
		p.render(w, r, http.StatusOK, "containment.html", pg)
		return
	}
	if act.Status == contain.StatusPending {
		p.flash(r, "Requested: "+act.Type+" "+act.Value+". It waits for a second person's approval.")
	} else {
		p.flash(r, "Active: "+act.Type+" "+act.Value+" until "+act.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC")+".")
	}
	redirect(w, r, "/containment")
}

func (p *intelPages) containmentDecide(w http.ResponseWriter, r *http.Request, approve bool) {
	id := r.PathValue("id")
	var act contain.Action
	var err error
	if approve {
		act, err = p.Contain.Approve(r.Context(), web.ActorFrom(r.Context()), id)
	} else {
		act, err = p.Contain.Revoke(r.Context(), web.ActorFrom(r.Context()), id)
	}
	if err != nil {
		if status, d := web.Status(err); status == http.StatusConflict {
			p.flashErr(r, capitalise(strings.TrimPrefix(d.Message, "conflict: "))+".")
			redirect(w, r, "/containment")
			return
		}
		p.fail(w, r, err)
		return
	}
	if approve {
		p.flash(r, "Approved: "+act.Type+" "+act.Value+" is active until "+act.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC")+".")
	} else {
		p.flash(r, "Revoked: "+act.Type+" "+act.Value+".")
	}
	redirect(w, r, "/containment#"+url.PathEscape(id))
}

func (p *intelPages) containmentApprove(w http.ResponseWriter, r *http.Request) {
	p.containmentDecide(w, r, true)
}
func (p *intelPages) containmentRevoke(w http.ResponseWriter, r *http.Request) {
	p.containmentDecide(w, r, false)
}

package ui

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerPolicy adds the readiness pages of policies: the catalogue
// browser, each system's plan editor and the deviation approvals.
func (u *ui) registerPolicy(rt *web.Router) {
	if u.Policy == nil {
		return
	}
	rt.Handle(web.UI, "GET /policies", authz.PolicyRead, u.policyList)
	rt.Handle(web.UI, "POST /policies", authz.PolicyManage, u.policyUpload)
	rt.Handle(web.UI, "GET /policies/{kind}/{id}", authz.PolicyRead, u.policyControls)
	rt.Handle(web.UI, "GET /systems/{id}/plan", authz.PlanRead, u.planPage)
	rt.Handle(web.UI, "POST /systems/{id}/plan", authz.PlanUpdate, u.planControlSave)
	rt.Handle(web.UI, "POST /systems/{id}/plan/profile", authz.PlanUpdate, u.planProfileSave)
	rt.Handle(web.UI, "POST /systems/{id}/deviations", authz.PlanUpdate, u.deviationAsk)
	rt.Handle(web.UI, "GET /deviations", authz.PlanRead, u.deviationList)
	rt.Handle(web.UI, "POST /deviations/{id}/decision", authz.DeviationApprove, u.deviationDecide)
	rt.Handle(web.UI, "POST /deviations/{id}/renewal", authz.PlanUpdate, u.deviationRenew)
}

type policyListData struct {
	Catalogs, Profiles []policy.Document
	CanLoad            bool
}

func (u *ui) policyList(w http.ResponseWriter, r *http.Request) {
	u.renderPolicyList(w, r, http.StatusOK, "")
}

func (u *ui) renderPolicyList(w http.ResponseWriter, r *http.Request, status int, problem string) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	var d policyListData
	cats, err := u.Policy.Documents(ctx, a, "catalog", "", 1000)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	profs, err := u.Policy.Documents(ctx, a, "profile", "", 1000)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Catalogs, d.Profiles = cats.Items, profs.Items
	d.CanLoad = authz.Allowed(a, authz.PolicyManage, authz.Collection())
	u.render(w, r, status, "policies.html", page{Title: "Policies", Error: problem, Data: d})
}

// policyUpload loads an OSCAL catalogue or profile uploaded from the page.
func (u *ui) policyUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, policy.MaxDocument+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		u.renderPolicyList(w, r, http.StatusBadRequest, "The file could not be read: send an OSCAL JSON file of at most 32 MiB.")
		return
	}
	file, hdr, err := r.FormFile("document")
	if err != nil {
		u.renderPolicyList(w, r, http.StatusBadRequest, "Choose the OSCAL JSON file to load.")
		return
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, policy.MaxDocument+1))
	if err != nil || len(body) > policy.MaxDocument {
		u.renderPolicyList(w, r, http.StatusBadRequest, "The file is larger than 32 MiB.")
		return
	}
	kind := r.FormValue("kind")
	load := u.Policy.LoadCatalog
	if kind == "profile" {
		load = u.Policy.LoadProfile
	} else {
		kind = "catalog"
	}
	d, created, err := load(r.Context(), web.ActorFrom(r.Context()), path.Base(hdr.Filename), body)
	if v, ok := validate.As(err); ok {
		u.renderPolicyList(w, r, http.StatusBadRequest, "The "+kind+" was not loaded: "+v.Error())
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if created {
		u.flash(r, "Loaded "+d.Title+" ("+d.Version+") with its controls.")
	} else {
		u.flash(r, "This file was loaded before; here it is.")
	}
	redirect(w, r, "/policies/"+kind+"/"+d.ID)
}

type policyControlsData struct {
	Doc      policy.Document
	Families []policy.Family
}

// policyControls is the catalogue browser: families, then controls with
// their statement, guidance and parameters.
func (u *ui) policyControls(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != "catalog" && kind != "profile" {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	doc, err := u.Policy.Document(ctx, a, kind, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cs, err := u.Policy.Controls(ctx, a, kind, doc.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "policy_controls.html", page{Title: doc.Title, Data: policyControlsData{Doc: doc, Families: policy.Families(cs)}})
}

type planFamily struct {
	ID       string
	Controls []policy.PlanControl
}

type planPageData struct {
	Plan        policy.Plan
	Families    []planFamily
	CanEdit     bool
	CanProfile  bool
	Profiles    []policy.Document
	Statuses    []string
	DefaultDate string // a deviation's default expiry, a year ahead
}

// planPage is the plan editor: each control's status, evidence and
// reason; automatic controls read-only with how kubu decides them.
func (u *ui) planPage(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	p, err := u.Policy.Plan(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := planPageData{Plan: p, Statuses: []string{"not-assessed", "implemented", "partial", "planned", "not-applicable"},
		CanEdit:     authz.Allowed(a, authz.PlanUpdate, authz.Record(p.AgencyID)),
		CanProfile:  authz.Allowed(a, authz.PolicyManage, authz.Collection()),
		DefaultDate: time.Now().AddDate(1, 0, 0).UTC().Format("2006-01-02")}
	at := map[string]int{}
	for _, c := range p.Controls {
		i, ok := at[c.Family]
		if !ok {
			i = len(d.Families)
			at[c.Family] = i
			d.Families = append(d.Families, planFamily{ID: c.Family})
		}
		d.Families[i].Controls = append(d.Families[i].Controls, c)
	}
	if d.CanProfile {
		profs, err := u.Policy.Documents(ctx, a, "profile", "", 1000)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Profiles = profs.Items
	}
	u.render(w, r, http.StatusOK, "plan.html", page{Title: "Security plan of " + p.System, Data: d})
}

// planControlSave records one manual control from the plan editor.
func (u *ui) planControlSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	var evidence []string
	for _, l := range strings.Split(r.FormValue("evidence"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			evidence = append(evidence, l)
		}
	}
	c := policy.PlanControlInput{ControlID: r.FormValue("control_id"), Status: r.FormValue("status"),
		Description: strings.TrimSpace(r.FormValue("description")), Evidence: evidence}
	_, err := u.Policy.UpdatePlan(r.Context(), web.ActorFrom(r.Context()), id, policy.PlanInput{Controls: []policy.PlanControlInput{c}})
	if u.planFormDone(w, r, id, err, "Saved "+c.ControlID+".") {
		return
	}
	u.fail(w, r, err)
}

// planFormDone redirects back to the plan after a form: with a notice, or
// with the problems of a refused change. It reports whether it answered.
func (u *ui) planFormDone(w http.ResponseWriter, r *http.Request, systemID string, err error, notice string) bool {
	if v, ok := validate.As(err); ok {
		u.flashErr(r, "Not saved: "+v.Error()+".")
		redirect(w, r, "/systems/"+systemID+"/plan")
		return true
	}
	if err != nil {
		return false
	}
	u.flash(r, notice)
	redirect(w, r, "/systems/"+systemID+"/plan")
	return true
}

// planProfileSave sets the plan's profile (a wog-admin), or goes back to
// the default mapping.
func (u *ui) planProfileSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	profile := r.FormValue("profile_id")
	_, err := u.Policy.UpdatePlan(r.Context(), web.ActorFrom(r.Context()), id, policy.PlanInput{ProfileID: &profile})
	if u.planFormDone(w, r, id, err, "The plan's profile is set.") {
		return
	}
	u.fail(w, r, err)
}

// deviationAsk asks for a deviation from one control of the plan.
func (u *ui) deviationAsk(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	exp, perr := time.Parse("2006-01-02", r.FormValue("expires_at"))
	var err error
	if perr != nil {
		err = validate.Errors{{Field: "expires_at", Message: "give the end date as YYYY-MM-DD"}}
	} else {
		_, err = u.Policy.RequestDeviation(r.Context(), web.ActorFrom(r.Context()), id, policy.DeviationRequest{
			ControlID: r.FormValue("control_id"), Reason: r.FormValue("reason"), ExpiresAt: exp.Add(24*time.Hour - time.Millisecond)})
	}
	if u.planFormDone(w, r, id, err, "Deviation asked for "+r.FormValue("control_id")+"; it counts once a central approver approves it.") {
		return
	}
	u.fail(w, r, err)
}

type deviationListData struct {
	Status     string
	System     string
	Cursor     string
	Query      url.Values
	Page       store.Page[policy.Deviation]
	CanDecide  bool
	CanRenew   bool
	Me         string
	DefaultDay string
}

// deviationList is the deviation requests and approvals page.
func (u *ui) deviationList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	status := r.URL.Query().Get("status")
	if status == "" && !r.URL.Query().Has("status") {
		status = "pending"
	}
	q := r.URL.Query()
	cursor := q.Get("cursor")
	items, err := u.Policy.Deviations(ctx, a, policy.DeviationFilter{Status: status, SystemID: q.Get("system"), Cursor: cursor, Limit: pageSize})
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, "/deviations")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "deviations.html", page{Title: "Deviations", Data: deviationListData{Status: status, Page: items,
		System: q.Get("system"), Cursor: cursor, Query: q,
		CanDecide: authz.Allowed(a, authz.DeviationApprove, authz.Collection()), Me: a.Email,
		CanRenew:   authz.Allowed(a, authz.PlanUpdate, authz.Collection()),
		DefaultDay: time.Now().AddDate(1, 0, 0).UTC().Format("2006-01-02")}})
}

func (u *ui) deviationDecide(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	approve := r.FormValue("decision") == "approve"
	d, err := u.Policy.DecideDeviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), approve, r.FormValue("note"))
	if msg, ok := conflictOrInvalid(err); ok {
		u.flashErr(r, msg)
		redirect(w, r, "/deviations")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, "Deviation from "+d.ControlID+" of "+d.System+" "+d.Status+".")
	redirect(w, r, "/deviations")
}

func (u *ui) deviationRenew(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	exp, perr := time.Parse("2006-01-02", r.FormValue("expires_at"))
	if perr != nil {
		u.flashErr(r, "Give the new end date as YYYY-MM-DD.")
		redirect(w, r, "/deviations?status=")
		return
	}
	d, err := u.Policy.RenewDeviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), exp.Add(24*time.Hour-time.Millisecond), r.FormValue("reason"))
	if msg, ok := conflictOrInvalid(err); ok {
		u.flashErr(r, msg)
		redirect(w, r, "/deviations?status=")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, "Renewal of the deviation from "+d.ControlID+" asked; it needs approval.")
	redirect(w, r, "/deviations")
}

// conflictOrInvalid turns a refused change into a message for the page.
func conflictOrInvalid(err error) (string, bool) {
	if v, ok := validate.As(err); ok {
		return "Not done: " + v.Error() + ".", true
	}
	if status, d := web.Status(err); status == http.StatusConflict {
		return "Not done: " + strings.TrimPrefix(d.Message, validate.ErrConflict.Error()+": ") + ".", true
	}
	return "", false
}

package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type reportListData struct {
	Page       store.Page[disclosure.Report]
	Query      url.Values
	Statuses   []string
	Programmes []disclosure.Programme
	Staff      bool
	Selected   []string
	Programme  string
	Overdue    bool
	Q          string
}

// reportList is the triage queue for staff (filters by status, programme,
// overdue clocks, title) and the researcher's own reports.
func (c *community) reportList(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := reportListData{Query: q, Statuses: disclosure.Statuses, Staff: authz.ScopeOf(a, authz.ReportTriage).All,
		Selected: q["status"], Programme: q.Get("programme"), Overdue: q.Get("overdue") == "yes", Q: q.Get("q")}
	if len(d.Selected) == 0 && d.Staff && q.Get("all") == "" {
		d.Selected = []string{"new", "needs-more-info", "triaged", "accepted", "retest"}
	}
	list, err := c.Disclosure.ListReports(r.Context(), a, disclosure.ReportFilter{Statuses: d.Selected, ProgrammeID: d.Programme,
		Overdue: d.Overdue, Query: d.Q, Cursor: q.Get("cursor"), Limit: pageSize})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Page = list
	if d.Programmes, err = c.Disclosure.ListProgrammes(r.Context(), a); err != nil {
		c.fail(w, r, err)
		return
	}
	title := "My reports"
	if d.Staff {
		title = "Triage queue"
	}
	c.render(w, r, http.StatusOK, "report_list.html", page{Title: title, Data: d})
}

type reportNewData struct {
	Programmes []disclosure.Programme
	Form       vdpForm
	Programme  string
	Severity   string
}

func (c *community) reportNewForm(w http.ResponseWriter, r *http.Request) {
	c.reportNewPage(w, r, http.StatusOK, page{}, reportNewData{Programme: r.URL.Query().Get("programme")})
}

func (c *community) reportNewPage(w http.ResponseWriter, r *http.Request, status int, p page, d reportNewData) {
	list, err := c.Disclosure.ListProgrammes(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Programmes = list
	p.Title, p.Data = "New report", d
	c.render(w, r, status, "report_new.html", p)
}

func (c *community) reportCreate(w http.ResponseWriter, r *http.Request) {
	ups, err := readUploads(w, r)
	if err != nil {
		c.reportNewPage(w, r, http.StatusBadRequest, page{Error: "The form could not be read. Attachments may be too large."}, reportNewData{})
		return
	}
	d := reportNewData{Programme: r.FormValue("programme"), Severity: r.FormValue("severity"), Form: vdpForm{Title: r.FormValue("title"),
		AffectedURL: r.FormValue("affected_url"), Description: r.FormValue("description"), Steps: r.FormValue("steps"),
		Impact: r.FormValue("impact"), CWE: r.FormValue("cwe"), CVSSVector: r.FormValue("cvss_vector")}}
	cwe, ok := formCWE(d.Form.CWE)
	if !ok {
		c.reportNewPage(w, r, http.StatusBadRequest, page{Problems: []problem{{Anchor: "cwe", Label: "CWE", Message: "must be a number"}}}, d)
		return
	}
	rc, err := c.Disclosure.Submit(r.Context(), web.ActorFrom(r.Context()), disclosure.NewReport{Programme: d.Programme,
		Title: d.Form.Title, AffectedURL: d.Form.AffectedURL, Description: d.Form.Description, Steps: d.Form.Steps, Impact: d.Form.Impact,
		CWE: cwe, CVSSVector: strings.TrimSpace(d.Form.CVSSVector), Severity: d.Severity, Uploads: ups})
	if err != nil {
		probs, ok := problemsOf(err, "", "title")
		if !ok {
			c.fail(w, r, err)
			return
		}
		c.reportNewPage(w, r, http.StatusBadRequest, page{Problems: probs}, d)
		return
	}
	c.flash(r, "Your report was submitted. Its tracking id is "+rc.TrackingID+".")
	redirect(w, r, "/reports/"+rc.TrackingID)
}

type reportDetailData struct {
	Report      disclosure.Report
	Messages    []disclosure.Message
	Staff       bool
	Transitions []string
	Duplicates  []disclosure.Suggestion
	Systems     []registry.System
	Severities  []string
	AssetTypes  []string
	Rewards     []disclosure.Reward
	RewardBase  int
	RewardBonus int
	CanPropose  bool
}

func (c *community) reportDetail(w http.ResponseWriter, r *http.Request) {
	c.showReport(w, r, http.StatusOK, page{})
}

func (c *community) showReport(w http.ResponseWriter, r *http.Request, status int, p page) {
	ctx, a, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	rep, err := c.Disclosure.Report(ctx, a, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	msgs, err := c.Disclosure.Messages(ctx, a, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := reportDetailData{Report: rep, Messages: msgs, Severities: []string{"critical", "high", "medium", "low", "info"}, AssetTypes: disclosure.AssetTypes}
	if authz.Check(a, authz.ReportTriage, authz.Collection()) == nil {
		d.Staff = true
		d.Transitions = disclosure.Transitions(rep.Status)
		if d.Duplicates, err = c.Disclosure.Duplicates(ctx, a, id); err != nil {
			c.fail(w, r, err)
			return
		}
		sys, err := c.Registry.ListSystems(ctx, a, registry.SystemFilter{Limit: 1000})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Systems = sys.Items
		d.RewardBase, d.RewardBonus = rep.RewardTable.Reward(rep.Severity, rep.AssetType)
		d.CanPropose = authz.Check(a, authz.RewardPropose, authz.Collection()) == nil && rep.ResearcherID != "" && rep.RewardTable != nil
	}
	if led, err := c.Disclosure.Ledger(ctx, a, disclosure.RewardFilter{Limit: 1000}); err == nil {
		for _, rw := range led.Items {
			if rw.ReportID == rep.ID {
				d.Rewards = append(d.Rewards, rw)
			}
		}
	}
	p.Title, p.Data = rep.Title, d
	c.render(w, r, status, "report_detail.html", p)
}

// afterAction redirects to the report after a successful action, or
// shows the report again with the problem.
func (c *community) afterAction(w http.ResponseWriter, r *http.Request, err error, notice string) {
	if err == nil {
		c.flash(r, notice)
		redirect(w, r, "/reports/"+r.PathValue("id"))
		return
	}
	if probs, ok := problemsOf(err, "", "status"); ok {
		c.showReport(w, r, http.StatusBadRequest, page{Problems: probs})
		return
	}
	if status, d := web.Status(err); status == http.StatusConflict || status == http.StatusForbidden {
		c.showReport(w, r, status, page{Error: capitalise(d.Message) + "."})
		return
	}
	c.fail(w, r, err)
}

func (c *community) reportMessage(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	if _, err := c.Disclosure.Report(r.Context(), a, r.PathValue("id")); err != nil {
		c.fail(w, r, err)
		return
	}
	ups, err := readUploads(w, r)
	if err != nil {
		c.showReport(w, r, http.StatusBadRequest, page{Error: "The form could not be read. Attachments may be too large."})
		return
	}
	_, err = c.Disclosure.AddMessage(r.Context(), a, r.PathValue("id"), r.FormValue("body"), r.FormValue("internal") == "yes", ups)
	c.afterAction(w, r, err, "Message added.")
}

func (c *community) reportConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	_, err := c.Disclosure.SetDisclosure(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"),
		disclosure.DisclosureChange{Consent: r.PostFormValue("consent") == "yes"})
	c.afterAction(w, r, err, "Your choice about publication was saved.")
}

func (c *community) reportPublish(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_, err := c.Disclosure.SetDisclosure(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"),
		disclosure.DisclosureChange{Publish: true, Summary: r.PostFormValue("summary")})
	c.afterAction(w, r, err, "The redacted report is published.")
}

func (c *community) reportAttachment(w http.ResponseWriter, r *http.Request) {
	at, data, err := c.Disclosure.Attachment(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PathValue("aid"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	web.ServeDownload(w, disclosure.SafeFilename(at.Filename), data)
}

func (c *community) reportTransition(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_, err := c.Disclosure.Transition(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), disclosure.Transition{
		Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason"), DuplicateOf: strings.TrimSpace(r.PostFormValue("duplicate_of")),
		FindingID: strings.TrimSpace(r.PostFormValue("finding_id"))})
	c.afterAction(w, r, err, "Status changed.")
}

func (c *community) reportSeverity(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_, err := c.Disclosure.SetSeverity(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), disclosure.SeverityChange{
		CVSSVector: strings.TrimSpace(r.PostFormValue("cvss_vector")), Severity: r.PostFormValue("severity"),
		Justification: r.PostFormValue("justification")})
	c.afterAction(w, r, err, "Severity changed; the reporter sees your justification.")
}

func (c *community) reportTriage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	sys, asset, param := r.PostFormValue("system_id"), r.PostFormValue("asset_type"), r.PostFormValue("parameter")
	u := disclosure.TriageUpdate{SystemID: &sys, AssetType: &asset, Parameter: &param}
	if cwe, ok := formCWE(r.PostFormValue("cwe")); !ok {
		c.showReport(w, r, http.StatusBadRequest, page{Problems: []problem{{Anchor: "cwe", Label: "CWE", Message: "must be a number"}}})
		return
	} else if cwe != nil {
		u.CWE = cwe
	}
	_, err := c.Disclosure.UpdateTriage(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), u)
	c.afterAction(w, r, err, "Classification saved.")
}

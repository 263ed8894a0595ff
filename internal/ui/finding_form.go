package ui

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// findingForm is the form that records a finding, as typed.
type findingForm struct {
	SystemID, Source, SourceRef, Title, Description, Severity string
	CVSSVector, CVSSScore, CWE                                string

	Systems    []registry.System // where the actor may record findings
	Sources    []string
	Severities []string
}

// maxSystemChoices bounds the system list of the form.
const maxSystemChoices = 1000

func (u *ui) findingFormOptions(r *http.Request, f *findingForm) error {
	a := web.ActorFrom(r.Context())
	f.Sources, f.Severities = findings.Sources, findings.Severities
	res, err := u.Registry.ListSystems(r.Context(), a, registry.SystemFilter{Limit: maxSystemChoices})
	if err != nil {
		return err
	}
	for _, s := range res.Items {
		if authz.Check(a, authz.FindingCreate, authz.Record(s.AgencyID)) == nil {
			f.Systems = append(f.Systems, s)
		}
	}
	return nil
}

func (u *ui) findingNewForm(w http.ResponseWriter, r *http.Request) {
	// The form may come filled from an alert or report (title, severity,
	// source and description in the query); nothing is stored until it is
	// sent.
	q := r.URL.Query()
	f := findingForm{SystemID: q.Get("system"), Severity: "medium", Title: q.Get("title"), Description: q.Get("description"),
		Source: q.Get("source"), SourceRef: q.Get("source_ref")}
	if v := q.Get("severity"); v != "" {
		f.Severity = v
	}
	if err := u.findingFormOptions(r, &f); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "finding_new.html", page{Title: "Record a finding", Data: f})
}

func (u *ui) findingCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := findingForm{SystemID: r.PostFormValue("system_id"), Source: r.PostFormValue("source"), SourceRef: r.PostFormValue("source_ref"),
		Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Severity: r.PostFormValue("severity"),
		CVSSVector: strings.TrimSpace(r.PostFormValue("cvss_vector")), CVSSScore: strings.TrimSpace(r.PostFormValue("cvss_score")),
		CWE: strings.TrimSpace(r.PostFormValue("cwe"))}
	if err := u.findingFormOptions(r, &f); err != nil {
		u.fail(w, r, err)
		return
	}
	p := page{Title: "Record a finding", Data: f}
	in := findings.NewFinding{SystemID: f.SystemID, Source: f.Source, SourceRef: strings.TrimSpace(f.SourceRef), Title: f.Title,
		Description: f.Description, Severity: f.Severity, CVSSVector: f.CVSSVector}
	var c check
	if f.CVSSScore != "" {
		if n, err := strconv.ParseFloat(f.CVSSScore, 64); err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			c.add("cvss_score", "must be a number such as 7.5")
		} else {
			in.CVSSScore = &n
		}
	}
	if f.CWE != "" {
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(f.CWE), "CWE-")); err != nil {
			c.add("cwe", "must be a CWE number such as CWE-79")
		} else {
			in.CWE = &n
		}
	}
	if !c.ok() {
		p.Problems = c.list
		u.render(w, r, http.StatusBadRequest, "finding_new.html", p)
		return
	}
	fd, err := u.Findings.Create(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		u.formFail(w, r, err, "finding_new.html", "", "title", p)
		return
	}
	u.flash(r, "Finding recorded. Its due date follows the SLA policy of "+fd.Agency+".")
	redirect(w, r, "/findings/"+fd.ID)
}

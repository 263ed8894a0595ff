package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// maxFormBody bounds the body of an ordinary form.
const maxFormBody = 256 << 10

// parseForm reads a POSTed form of at most maxFormBody bytes.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return false
	}
	return true
}

func (u *ui) agencyNewForm(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "agency_new.html", page{Title: "Add an agency", Data: registry.NewAgency{}})
}

func (u *ui) agencyCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	in := registry.NewAgency{Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}
	ag, err := u.Registry.CreateAgency(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		u.formFail(w, r, err, "agency_new.html", "", "code", page{Title: "Add an agency", Data: in})
		return
	}
	u.flash(r, "Agency "+ag.Code+" added.")
	redirect(w, r, "/agencies/"+ag.ID)
}

// slaData is the SLA policy form: the values as typed, so a mistake is
// shown with what was entered.
type slaData struct {
	Agency       registry.Agency
	Days         []slaField
	BusinessDays bool
}

type slaField struct {
	Name, Label, Value string
}

func slaFields(p findings.Policy) []slaField {
	return []slaField{
		{"critical_days", "Critical", strconv.Itoa(p.Critical)},
		{"high_days", "High", strconv.Itoa(p.High)},
		{"medium_days", "Medium", strconv.Itoa(p.Medium)},
		{"low_days", "Low", strconv.Itoa(p.Low)},
		{"info_days", "Informational", strconv.Itoa(p.Info)},
	}
}

func (u *ui) slaForm(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	ag, err := u.Registry.Agency(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.Findings.Policy(ctx, a, ag.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "agency_sla.html", page{Title: "SLA policy of " + ag.Code,
		Data: slaData{Agency: ag, Days: slaFields(p), BusinessDays: p.BusinessDays}})
}

func (u *ui) slaSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	ag, err := u.Registry.Agency(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := slaData{Agency: ag, BusinessDays: r.PostFormValue("business_days") == "yes"}
	var c check
	var p findings.Policy
	dest := map[string]*int{"critical_days": &p.Critical, "high_days": &p.High, "medium_days": &p.Medium, "low_days": &p.Low, "info_days": &p.Info}
	for _, f := range slaFields(findings.Policy{}) {
		f.Value = strings.TrimSpace(r.PostFormValue(f.Name))
		n, err := strconv.Atoi(f.Value)
		if err != nil {
			c.add(f.Name, "must be a whole number of days (0 for no deadline)")
		}
		*dest[f.Name] = n
		d.Days = append(d.Days, f)
	}
	p.BusinessDays = d.BusinessDays
	pg := page{Title: "SLA policy of " + ag.Code, Data: d}
	if !c.ok() {
		pg.Problems = c.list
		u.render(w, r, http.StatusBadRequest, "agency_sla.html", pg)
		return
	}
	if err := u.Findings.SetPolicy(ctx, a, ag.ID, p); err != nil {
		u.formFail(w, r, err, "agency_sla.html", "", "critical_days", pg)
		return
	}
	u.flash(r, "SLA policy saved. New findings and severity changes use it; existing deadlines stay as they were.")
	redirect(w, r, "/agencies/"+ag.ID)
}

package ui

import (
	"net/http"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// systemForm is the create and edit form of a system, as typed.
type systemForm struct {
	ID                 string // empty when creating
	Agency             string // agency code
	Name               string
	Description        string
	Hostnames          string // one a line
	AssetType          string
	Criticality        string
	InternetFacing     bool
	OwnerContacts      string // "Name <email> role", one a line
	DataClassification string

	Agencies        []registry.Agency // where the actor may add systems
	AssetTypes      []string
	Criticalities   []string
	Classifications []string
}

func (f *systemForm) options() {
	f.AssetTypes, f.Criticalities, f.Classifications = registry.AssetTypes, registry.Criticalities, registry.Classifications
}

func formOfSystem(s registry.System) systemForm {
	f := systemForm{ID: s.ID, Agency: s.Agency, Name: s.Name, Description: s.Description,
		Hostnames: strings.Join(s.Hostnames, "\n"), AssetType: s.AssetType, Criticality: s.Criticality,
		InternetFacing: s.InternetFacing, OwnerContacts: formatContacts(s.OwnerContacts), DataClassification: s.DataClassification}
	f.options()
	return f
}

func readSystemForm(r *http.Request) systemForm {
	f := systemForm{Agency: r.PostFormValue("agency"), Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		Hostnames: r.PostFormValue("hostnames"), AssetType: r.PostFormValue("asset_type"), Criticality: r.PostFormValue("criticality"),
		InternetFacing: r.PostFormValue("internet_facing") == "yes", OwnerContacts: r.PostFormValue("owner_contacts"),
		DataClassification: r.PostFormValue("data_classification")}
	f.options()
	return f
}

// input turns the form into the registry's input, or lists the lines of
// the contacts box it could not read.
func (f systemForm) input() (registry.SystemInput, []problem) {
	contacts, bad := parseContacts(f.OwnerContacts)
	var c check
	for _, msg := range bad {
		c.add("owner_contacts", msg)
	}
	hosts := parseLines(f.Hostnames)
	if hosts == nil {
		hosts = []string{}
	}
	if contacts == nil {
		contacts = []registry.Contact{}
	}
	return registry.SystemInput{Agency: f.Agency, Name: &f.Name, Description: &f.Description, Hostnames: &hosts,
		AssetType: &f.AssetType, Criticality: &f.Criticality, InternetFacing: &f.InternetFacing,
		OwnerContacts: &contacts, DataClassification: &f.DataClassification}, c.list
}

// creatableAgencies are the agencies the actor may add systems to.
func (u *ui) creatableAgencies(r *http.Request) ([]registry.Agency, error) {
	a := web.ActorFrom(r.Context())
	ags, err := u.Registry.ListAgencies(r.Context(), a)
	if err != nil {
		return nil, err
	}
	var out []registry.Agency
	for _, ag := range ags {
		if authz.Check(a, authz.SystemCreate, authz.Record(ag.ID)) == nil {
			out = append(out, ag)
		}
	}
	return out, nil
}

func (u *ui) systemNewForm(w http.ResponseWriter, r *http.Request) {
	f := systemForm{AssetType: "web", Criticality: "medium", DataClassification: "official-closed", Agency: r.URL.Query().Get("agency")}
	f.options()
	var err error
	if f.Agencies, err = u.creatableAgencies(r); err != nil {
		u.fail(w, r, err)
		return
	}
	if len(f.Agencies) == 1 {
		f.Agency = f.Agencies[0].Code
	}
	u.render(w, r, http.StatusOK, "system_form.html", page{Title: "Add a system", Data: f})
}

func (u *ui) systemCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := readSystemForm(r)
	var err error
	if f.Agencies, err = u.creatableAgencies(r); err != nil {
		u.fail(w, r, err)
		return
	}
	p := page{Title: "Add a system", Data: f}
	in, probs := f.input()
	if strings.TrimSpace(f.Agency) == "" {
		// The registry checks the agency before anything else; say what
		// else is missing too.
		c := check{list: probs}
		c.add("agency", "choose the agency the system belongs to")
		if strings.TrimSpace(f.Name) == "" {
			c.add("name", "is required")
		}
		probs = c.list
	}
	if len(probs) > 0 {
		p.Problems = probs
		u.render(w, r, http.StatusBadRequest, "system_form.html", p)
		return
	}
	s, err := u.Registry.CreateSystem(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		u.formFail(w, r, err, "system_form.html", "", "name", p)
		return
	}
	u.flash(r, "System “"+s.Name+"” added.")
	redirect(w, r, "/systems/"+s.ID)
}

func (u *ui) systemEditForm(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	s, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := authz.Check(a, authz.SystemUpdate, authz.Record(s.AgencyID)); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "system_form.html", page{Title: "Change " + s.Name, Data: formOfSystem(s)})
}

func (u *ui) systemUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	before, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := readSystemForm(r)
	f.ID, f.Agency = before.ID, before.Agency
	p := page{Title: "Change " + before.Name, Data: f}
	in, probs := f.input()
	if len(probs) > 0 {
		p.Problems = probs
		u.render(w, r, http.StatusBadRequest, "system_form.html", p)
		return
	}
	s, err := u.Registry.UpdateSystem(ctx, a, before.ID, in)
	if err != nil {
		u.formFail(w, r, err, "system_form.html", "", "name", p)
		return
	}
	u.flash(r, "System “"+s.Name+"” saved.")
	redirect(w, r, "/systems/"+s.ID)
}

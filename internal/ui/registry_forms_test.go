package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/registry"
)

func TestSystemForms(t *testing.T) {
	e := newEnv(t, false)
	c := e.signIn(t, "a-admin")
	valid := url.Values{
		"agency": {"MOH"}, "name": {"Clinic Booking"}, "description": {"\nBook a clinic visit."},
		"hostnames":  {"booking.health.gov.example\r\n\r\nAPI.booking.health.gov.example\n"},
		"asset_type": {"mobile"}, "criticality": {"high"}, "internet_facing": {"yes"},
		"owner_contacts":      {"Tan Wei Ming <weiming@health.gov.example> system owner\n\nops@health.gov.example"},
		"data_classification": {"restricted"},
	}

	t.Run("create", func(t *testing.T) {
		c.t = t
		res := c.post("/systems", valid)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/systems/") {
			t.Fatalf("create answered %d to %q:\n%s", res.status, res.location, excerpt(res.body))
		}
		page := c.get(res.location)
		mustContain(t, "new system", page.body, "System “Clinic Booking” added.", "booking.health.gov.example", "api.booking.health.gov.example",
			"Tan Wei Ming", "weiming@health.gov.example", "(system owner)", "Restricted")
		s, err := e.app.Registry.System(context.Background(), root, strings.TrimPrefix(res.location, "/systems/"))
		if err != nil {
			t.Fatal(err)
		}
		want := registry.System{ID: s.ID, AgencyID: e.agency["A"].ID, Agency: "MOH", Name: "Clinic Booking", Description: "\nBook a clinic visit.",
			Hostnames: []string{"booking.health.gov.example", "api.booking.health.gov.example"}, AssetType: "mobile", Criticality: "high",
			InternetFacing: true, DataClassification: "restricted", CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
			OwnerContacts: []registry.Contact{{Name: "Tan Wei Ming", Email: "weiming@health.gov.example", Role: "system owner"}, {Email: "ops@health.gov.example"}}}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("stored system (-want +got):\n%s", diff)
		}
		// The edit form shows what is stored, ready to change.
		edit := c.get(res.location + "/edit")
		mustContain(t, "edit form", edit.body, `value="Clinic Booking"`, "Tan Wei Ming &lt;weiming@health.gov.example&gt; system owner\n&lt;ops@health.gov.example&gt;",
			`<option value="high" selected>`, `name="internet_facing" value="yes" checked`)

		upd := url.Values{}
		for k, v := range valid {
			upd[k] = v
		}
		upd.Set("name", "Clinic Booking App")
		upd.Del("internet_facing")
		upd.Set("criticality", "critical")
		page = c.follow(res.location+"/edit", upd)
		mustContain(t, "updated system", page.body, "System “Clinic Booking App” saved.", "Critical")
		s, _ = e.app.Registry.System(context.Background(), root, s.ID)
		if s.Name != "Clinic Booking App" || s.InternetFacing || s.Criticality != "critical" {
			t.Errorf("update stored %+v", s)
		}
	})

	t.Run("problems re-render the form with a summary and the values kept", func(t *testing.T) {
		tests := []struct {
			name   string
			change url.Values
			want   []string
		}{
			{"missing name", url.Values{"name": {"  "}}, []string{`<a href="#name">Name is required</a>`, `id="name-error"`}},
			{"bad hostname", url.Values{"hostnames": {"ok.example\nnot a host"}}, []string{`href="#hostnames"`, "is not a hostname", "ok.example\nnot a host"}},
			{"bad contact line", url.Values{"owner_contacts": {"Ann <ann@example.gov> lead\nBob <bob"}},
				[]string{`href="#owner_contacts"`, "line 2 has a &lt; without a closing &gt;", "Ann &lt;ann@example.gov&gt; lead"}},
			{"bad contact email", url.Values{"owner_contacts": {"Ann <not-an-email> lead"}}, []string{`line 1 has &#34;not-an-email&#34;, which is not an email address`}},
			{"unknown criticality", url.Values{"criticality": {"extreme"}}, []string{`href="#criticality"`, "must be one of low, medium, high, critical"}},
			{"duplicate name", url.Values{"name": {"Portal MOH"}}, []string{`href="#name"`, "MOH already has a system named"}},
			// An agency the admin may not see is, to them, no agency at all.
			{"other agency", url.Values{"agency": {"MOE"}}, []string{`<a href="#agency">Agency: no such agency</a>`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c.t = t
				form := url.Values{}
				for k, v := range valid {
					form[k] = v
				}
				form.Set("name", "Another "+tt.name)
				for k, v := range tt.change {
					form[k] = v
				}
				res := c.post("/systems", form)
				if res.status != http.StatusBadRequest {
					t.Fatalf("answered %d, want 400:\n%s", res.status, excerpt(res.body))
				}
				mustContain(t, tt.name, res.body, append(tt.want, "There is a problem", "<title>Error: Add a system", `aria-invalid="true"`)...)
				if tt.change.Get("name") == "" {
					mustContain(t, tt.name, res.body, `value="Another `+tt.name+`"`)
				}
			})
		}
	})

	t.Run("a member cannot add systems", func(t *testing.T) {
		m := e.signIn(t, "a-member")
		for _, path := range []string{"/systems/new"} {
			if res := m.get(path); res.status != http.StatusForbidden {
				t.Errorf("GET %s as a member answered %d, want 403", path, res.status)
			}
		}
		if res := m.post("/systems", valid); res.status != http.StatusForbidden {
			t.Errorf("POST /systems as a member answered %d, want 403", res.status)
		}
		if res := m.get("/systems"); strings.Contains(res.body, "Add a system") {
			t.Errorf("the systems list offers a member to add a system")
		}
	})
}

func TestAgencyForms(t *testing.T) {
	e := newEnv(t, false)
	admin := e.signIn(t, "admin")
	page := admin.follow("/agencies", url.Values{"code": {"mom"}, "name": {"Ministry of Manpower"}})
	mustContain(t, "new agency", page.body, "Agency MOM added.", "Ministry of Manpower", "No systems registered yet.")

	res := admin.post("/agencies", url.Values{"code": {"MOM"}, "name": {"Again"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("duplicate agency answered %d", res.status)
	}
	mustContain(t, "duplicate agency", res.body, `<a href="#code">Code: an agency with code MOM exists</a>`, `value="Again"`)
	res = admin.post("/agencies", url.Values{"code": {"1x"}, "name": {""}})
	mustContain(t, "bad agency", res.body, `href="#code"`, `href="#name"`, "Name is required")

	if res := e.signIn(t, "a-admin").post("/agencies", url.Values{"code": {"XYZ"}, "name": {"X"}}); res.status != http.StatusForbidden {
		t.Errorf("agency admin creating an agency answered %d, want 403", res.status)
	}

	t.Run("SLA policy", func(t *testing.T) {
		c := e.signIn(t, "a-admin")
		A := e.agency["A"]
		form := url.Values{"critical_days": {"7"}, "high_days": {"21"}, "medium_days": {"45"}, "low_days": {"90"}, "info_days": {"0"}, "business_days": {"yes"}}
		page := c.follow("/agencies/"+A.ID+"/sla", form)
		mustContain(t, "agency after SLA", page.body, "SLA policy saved.", "7 days", "21 days", "No deadline", "in business days")
		form.Set("high_days", "three weeks")
		form.Set("low_days", "-1")
		res := c.post("/agencies/"+A.ID+"/sla", form)
		if res.status != http.StatusBadRequest {
			t.Fatalf("bad SLA answered %d", res.status)
		}
		mustContain(t, "bad SLA", res.body, `href="#high_days"`, `value="three weeks"`, "must be a whole number")
		// The domain's own check runs when the numbers parse.
		form.Set("high_days", "21")
		res = c.post("/agencies/"+A.ID+"/sla", form)
		mustContain(t, "negative SLA", res.body, `<a href="#low_days">Low must be between 0 and 3650</a>`)
		// Another agency's policy is not there for this admin.
		if res := c.post("/agencies/"+e.agency["B"].ID+"/sla", form); res.status != http.StatusNotFound {
			t.Errorf("changing B's policy answered %d, want 404", res.status)
		}
		if res := e.signIn(t, "a-member").get("/agencies/" + A.ID + "/sla"); res.status != http.StatusForbidden {
			t.Errorf("a member opening the SLA form answered %d, want 403", res.status)
		}
	})
}

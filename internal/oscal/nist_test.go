package oscal

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func loadTestdata(t *testing.T) Library {
	t.Helper()
	lib := Library{}
	for _, name := range []string{"sp800-53-rev5-sample-catalog.json", "sample-moderate-profile.json", "sample-tailored-profile.json"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		d, err := Read(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lib[name] = d
	}
	return lib
}

func TestNISTSampleCatalog(t *testing.T) {
	c := loadTestdata(t)["sp800-53-rev5-sample-catalog.json"].Catalog
	if got, want := c.ControlIDs(), []string{"ac-1", "ac-2", "ac-2.1", "ac-2.2", "ac-2.3", "au-1", "au-2", "au-3", "au-3.1", "au-3.2"}; !slices.Equal(got, want) {
		t.Errorf("controls = %v, want %v", got, want)
	}
	ac2, _ := c.Control("ac-2")
	if len(ac2.Controls) != 3 || ac2.Controls[0].Class != "SP800-53-enhancement" {
		t.Errorf("ac-2 enhancements = %+v", ac2.Controls)
	}
	if au32, _ := c.Control("au-3.2"); au32.Prop("status") != "withdrawn" || au32.Links[0].Rel != "incorporated-into" {
		t.Errorf("withdrawn au-3.2 = %+v", au32)
	}
	ac1, _ := c.Control("ac-1")
	stmt, _ := ac1.Part("statement")
	want := "a. Develop, document, and disseminate to [Assignment: organization-defined personnel or roles]:\n" +
		"  1. [Selection: organization-level; mission/business process-level; system-level] access control policy; and\n" +
		"c. Review and update the current access control policy [Assignment: frequency]."
	if got := c.Text(stmt); got != want {
		t.Errorf("ac-1 statement:\n%s\nwant:\n%s", got, want)
	}
	if c.BackMatter == nil || len(c.BackMatter.Resources) != 1 {
		t.Errorf("back-matter = %+v", c.BackMatter)
	}
}

func TestNISTSampleBaseline(t *testing.T) {
	lib := loadTestdata(t)
	c, err := lib["sample-moderate-profile.json"].Profile.Resolve(lib.Load)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ControlIDs(), []string{"ac-1", "ac-2", "ac-2.1", "ac-2.3", "au-2", "au-3", "au-3.1"}; !slices.Equal(got, want) {
		t.Errorf("controls = %v, want %v", got, want)
	}
	if len(c.Groups) != 2 || c.Groups[0].ID != "ac" || c.Groups[1].ID != "au" {
		t.Errorf("as-is lost the families: %+v", c.Groups)
	}
	if ac2, _ := c.Control("ac-2"); len(ac2.Controls) != 2 {
		t.Errorf("ac-2 keeps %d enhancements, want 2 (ac-2.2 not selected)", len(ac2.Controls))
	}
}

func TestNISTSampleTailoring(t *testing.T) {
	lib := loadTestdata(t)
	c, err := lib["sample-tailored-profile.json"].Profile.Resolve(lib.Load)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Controls) != 0 || len(c.Groups) != 2 {
		t.Fatalf("custom merge: %d top controls, %d groups", len(c.Controls), len(c.Groups))
	}
	ids := func(cs []Control) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got, want := ids(c.Groups[0].Controls), []string{"ac-2.3", "ac-2.1", "ac-2", "ac-1"}; !slices.Equal(got, want) {
		t.Errorf("identity group = %v, want %v (descending)", got, want)
	}
	if got, want := ids(c.Groups[1].Controls), []string{"au-2", "au-1"}; !slices.Equal(got, want) {
		t.Errorf("audit group = %v, want %v (kept order)", got, want)
	}
	if c.ControlCount() != 6 {
		t.Errorf("controls = %d, want 6 (au-3 and au-3.1 excluded, ac-2 selected twice kept once)", c.ControlCount())
	}
	p, _ := c.Param("ac-01_odp.03")
	if !slices.Equal(p.Values, []string{"organization-level"}) || p.Select != nil {
		t.Errorf("set-parameter not applied: %+v", p)
	}
	p, _ = c.Param("ac-02.03_odp.01")
	if !slices.Equal(p.Values, []string{"90 days"}) || len(p.Props) != 2 {
		t.Errorf("set-parameter with props not applied: %+v", p)
	}
	ac1, _ := c.Control("ac-1")
	if _, ok := ac1.Part("assessment-objective"); ok {
		t.Error("remove by-name did not remove the assessment objective")
	}
	if ac1.Prop("implementation-level") != "organization" {
		t.Error("add of a prop to the control not applied")
	}
	stmt, _ := ac1.Part("statement")
	text := c.Text(stmt)
	if !strings.Contains(text, "organization-level access control policy") || !strings.HasSuffix(text, "Publish the policy on the intranet.") {
		t.Errorf("altered statement:\n%s", text)
	}
}

func TestChildPromotedWhenParentNotSelected(t *testing.T) {
	lib := loadTestdata(t)
	p := &Profile{UUID: "5a0b7c64-5d2e-4a1c-8e9b-6b7d5c4a3e21", Metadata: Metadata{Title: "t"},
		Imports: []Import{{Href: "sp800-53-rev5-sample-catalog.json", IncludeControls: []SelectControl{{WithIDs: []string{"ac-2.1"}}, {WithChildControls: "yes", WithIDs: []string{"au-3"}}}}},
		Merge:   &Merge{AsIs: true}}
	c, err := p.Resolve(lib.Load)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 2 || len(c.Groups[0].Controls) != 1 || c.Groups[0].Controls[0].ID != "ac-2.1" {
		t.Errorf("ac-2.1 not promoted into the ac family: %+v", c.Groups)
	}
	if got := c.ControlIDs(); !slices.Equal(got, []string{"ac-2.1", "au-3", "au-3.1", "au-3.2"}) {
		t.Errorf("controls = %v", got)
	}
	// Without a merge the result is flat.
	p.Merge = nil
	c, err = p.Resolve(lib.Load)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 0 || len(c.Controls) != 4 {
		t.Errorf("flat: %d groups, %d controls", len(c.Groups), len(c.Controls))
	}
}

// TestFlatMergeKeepsSharedParamsOnce: two imports of one catalog with
// catalog- and group-level parameters resolve without duplicate ids, and
// a link insertion is not taken for a parameter.
func TestFlatMergeKeepsSharedParamsOnce(t *testing.T) {
	cat, err := ReadCatalog(strings.NewReader(catalogDoc(`,"params":[{"id":"org-name","label":"organisation"}],
		"groups":[{"id":"g","title":"G","params":[{"id":"g-freq","label":"frequency"}],"controls":[
		{"id":"g-1","title":"One","parts":[{"name":"statement","prose":"{{ insert: param, org-name }} reviews {{ insert: param, g-freq }}; see {{ insert: link, ref-1 }}."}]},
		{"id":"g-2","title":"Two"}]}]`)))
	if err != nil {
		t.Fatal(err)
	}
	lib := Library{"c.json": {Catalog: cat}}
	p := &Profile{UUID: "5a0b7c64-5d2e-4a1c-8e9b-6b7d5c4a3e22", Metadata: Metadata{Title: "t"}, Imports: []Import{
		{Href: "c.json", IncludeControls: []SelectControl{{WithIDs: []string{"g-1"}}}},
		{Href: "c.json", IncludeControls: []SelectControl{{WithIDs: []string{"g-2"}}}},
	}, Modify: &Modify{SetParameters: []SetParameter{{ParamID: "g-freq", Values: []string{"yearly"}}}}}
	c, err := p.Resolve(lib.Load)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Params) != 2 || c.ControlCount() != 2 {
		t.Fatalf("params %+v, controls %d", c.Params, c.ControlCount())
	}
	g1, _ := c.Control("g-1")
	stmt, _ := g1.Part("statement")
	if got := c.Text(stmt); got != "[Assignment: organisation] reviews yearly; see {{ insert: link, ref-1 }}." {
		t.Errorf("statement %q", got)
	}
}

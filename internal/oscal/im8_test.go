package oscal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// loadIM8 reads the IM8 Reform catalogue and its three profiles from the
// shared corpus, as they are.
func loadIM8(t *testing.T) Library {
	t.Helper()
	dir := corpus.Path(t, "im8")
	lib := Library{}
	for _, name := range []string{"im8-reform.json", "low-risk-level-0.json", "low-risk-level-1.json", "low-risk-level-2.json"} {
		f, err := os.Open(filepath.Join(dir, name))
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

func TestIM8Catalog(t *testing.T) {
	lib := loadIM8(t)
	c := lib["im8-reform.json"].Catalog
	if c == nil {
		t.Fatal("im8-reform.json did not read as a catalog")
	}
	if got := c.ControlCount(); got != 118 {
		t.Errorf("controls = %d, want 118", got)
	}
	if got := len(c.Groups); got != 13 {
		t.Errorf("families = %d, want 13", got)
	}
	wantFamilies := map[string]int{"as": 12, "sc": 9, "st": 5, "ns": 11, "br": 3, "dp": 6, "lm": 17, "ac": 12, "cs": 11, "pm": 8, "is": 14, "sd": 8, "dc": 2}
	for _, g := range c.Groups {
		if wantFamilies[g.ID] != len(g.Controls) {
			t.Errorf("family %s (%s) has %d controls, want %d", g.ID, g.Title, len(g.Controls), wantFamilies[g.ID])
		}
	}
	st5, ok := c.Control("st-5")
	if !ok {
		t.Fatal("st-5 missing")
	}
	if len(st5.Params) != 4 || st5.Params[0].ID != "st-5_prm_1" || st5.Params[0].Class != "int" {
		t.Errorf("st-5 params = %+v", st5.Params)
	}
	stmt, ok := st5.Part("statement")
	if !ok {
		t.Fatal("st-5 has no statement")
	}
	if text := c.Text(stmt); strings.Contains(text, "{{") || !strings.Contains(text, "[Assignment: time period (days)]") {
		t.Errorf("st-5 statement rendered as %q", text)
	}
	if _, ok := st5.Part("guidance"); !ok {
		t.Error("st-5 has no guidance")
	}
	if st5.Prop("risk-statement") == "" {
		t.Error("st-5 lost its risk-statement prop")
	}
	for _, id := range []string{"st-1", "st-3", "st-4", "ns-6", "lm-12", "pm-4"} {
		if _, ok := c.Control(id); !ok {
			t.Errorf("control %s (used for automatic evidence) missing", id)
		}
	}
}

func TestIM8Profiles(t *testing.T) {
	lib := loadIM8(t)
	for _, tc := range []struct {
		name  string
		count int
		has   []string
		not   []string
	}{
		// L0 must-have: the six central-oversight controls.
		{"low-risk-level-0.json", 6, []string{"pm-3", "pm-4", "pm-5", "is-11", "is-14", "lm-12"}, []string{"st-1"}},
		// L1 should-have: L0 (include-all) and 84 more.
		{"low-risk-level-1.json", 90, []string{"pm-4", "st-1", "st-3", "st-4", "st-5", "ns-6"}, []string{"ac-10", "lm-5"}},
		// L2 good-to-have: L1 and the remaining 28, which is the whole catalogue.
		{"low-risk-level-2.json", 118, []string{"ac-10", "lm-17", "pm-4"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := lib[tc.name].Profile
			if p == nil {
				t.Fatal("not a profile")
			}
			c, err := p.Resolve(lib.Load)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ControlCount(); got != tc.count {
				t.Errorf("resolved controls = %d, want %d", got, tc.count)
			}
			for _, id := range tc.has {
				if _, ok := c.Control(id); !ok {
					t.Errorf("%s missing", id)
				}
			}
			for _, id := range tc.not {
				if _, ok := c.Control(id); ok {
					t.Errorf("%s should not be selected", id)
				}
			}
			// as-is keeps the families; each appears once.
			seen := map[string]bool{}
			for _, g := range c.Groups {
				if seen[g.ID] {
					t.Errorf("family %s appears twice", g.ID)
				}
				seen[g.ID] = true
			}
			if st5, ok := c.Control("st-5"); ok && len(st5.Params) != 4 {
				t.Errorf("st-5 lost its params in resolution")
			}
			if c.Metadata.Title != p.Metadata.Title {
				t.Errorf("resolved title %q", c.Metadata.Title)
			}
			again, err := p.Resolve(lib.Load)
			if err != nil || again.UUID != c.UUID {
				t.Errorf("resolution not deterministic: %v %s %s", err, again.UUID, c.UUID)
			}
		})
	}
}

package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzRead checks that reading never panics, that every refusal is an
// *Error with a JSON path, that what is accepted writes back as OSCAL that
// reads the same, and that resolving an accepted profile against the test
// catalogs never panics.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"sp800-53-rev5-sample-catalog.json", "sample-moderate-profile.json", "sample-tailored-profile.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(catalogDoc(`,"controls":[{"id":"a-1","title":"x","params":[{"id":"p1","label":"l"}],"parts":[{"name":"statement","prose":"{{ insert: param, p1 }}"}]}]`)))
	var lib Library
	f.Fuzz(func(t *testing.T, b []byte) {
		if lib == nil {
			lib = Library{}
			for _, name := range []string{"sp800-53-rev5-sample-catalog.json", "sample-moderate-profile.json"} {
				raw, _ := os.ReadFile(filepath.Join("testdata", name))
				d, err := Read(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				lib[name] = d
			}
		}
		d, err := Read(bytes.NewReader(b))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Path) == 0 || e.Path[0] != '$' {
				t.Fatalf("refusal %v is not an *Error with a JSON path", err)
			}
			return
		}
		var root string
		var v any
		if d.Catalog != nil {
			root, v = "catalog", d.Catalog
		} else {
			root, v = "profile", d.Profile
		}
		out, err := json.Marshal(map[string]any{root: v})
		if err != nil {
			t.Fatal(err)
		}
		d2, err := Read(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("accepted document does not read back: %v\n%s", err, out)
		}
		if d.Catalog != nil && !slices.Equal(d.Catalog.ControlIDs(), d2.Catalog.ControlIDs()) {
			t.Fatalf("controls changed on the round trip")
		}
		if d.Profile != nil {
			if c, err := d.Profile.Resolve(lib.Load); err == nil {
				_ = c.ControlCount()
			}
		}
	})
}

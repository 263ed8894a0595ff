package misp

import (
	"bytes"
	"testing"

	"github.com/kubu-gov/kubu/internal/intel"
)

func checkIndicators(t *testing.T, inds []intel.Indicator) {
	t.Helper()
	for _, in := range inds {
		n, err := intel.Normalise(in.Type, in.Value)
		if err != nil || n != in.Value || in.ID == "" || in.ValidFrom.IsZero() {
			t.Fatalf("bad indicator %+v (%q, %v)", in, n, err)
		}
	}
}

// FuzzEvent checks that any event document converts without panicking
// into valid indicators, and that the counts add up.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"Event":{"uuid":"5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b","timestamp":"1","Attribute":[{"uuid":"a0000001-0000-4000-8000-000000000001","type":"domain|ip","value":"a.example|1.2.3.4","to_ids":true}]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ev, err := ParseEvent(doc)
		if err != nil {
			return
		}
		res := &Result{}
		inds := EventIndicators(ev, Options{AllAttributes: true}, res)
		checkIndicators(t, inds)
		n := len(ev.Attributes)
		for _, o := range ev.Objects {
			n += len(o.Attributes)
		}
		if res.Imported+len(res.Skipped)+len(res.Errors) > n {
			t.Fatalf("%d imported + %d skipped + %d errors > %d attributes", res.Imported, len(res.Skipped), len(res.Errors), n)
		}
	})
}

// FuzzManifest checks the manifest parser.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b":{"timestamp":"1775030400","info":"x"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := ParseManifest(doc)
		if err != nil {
			return
		}
		for id := range m {
			if !validUUID(id) {
				t.Fatalf("accepted id %q", id)
			}
		}
	})
}

// FuzzText checks the CSV and freetext readers.
func FuzzText(f *testing.F) {
	f.Add([]byte("# c\nvalue,x\n198.51.100.9,a\n\"evil.example\",b\nhxxp://x[.]example/\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		inds, _ := ReadCSV(bytes.NewReader(doc), CSVOptions{Columns: []int{1, 2}}, Options{})
		checkIndicators(t, inds)
		inds, _ = ReadFreetext(bytes.NewReader(doc), Options{})
		checkIndicators(t, inds)
	})
}

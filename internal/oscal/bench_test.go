package oscal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// BenchmarkIM8 reads the IM8 catalogue and resolves the L2 profile (which
// imports L1, which imports L0) — what loading a catalogue version costs.
func BenchmarkIM8(b *testing.B) {
	dir := corpus.Path(b, "im8")
	raw := map[string][]byte{}
	for _, n := range []string{"im8-reform.json", "low-risk-level-0.json", "low-risk-level-1.json", "low-risk-level-2.json"} {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			b.Fatal(err)
		}
		raw[n] = data
	}
	b.SetBytes(int64(len(raw["im8-reform.json"])))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		lib := Library{}
		for n, data := range raw {
			d, err := Read(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			lib[n] = d
		}
		c, err := lib["low-risk-level-2.json"].Profile.Resolve(lib.Load)
		if err != nil || c.ControlCount() != 118 {
			b.Fatalf("%v %d", err, c.ControlCount())
		}
	}
}

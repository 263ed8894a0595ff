package sigma

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/evtx"
)

// corpusEvents reads every record of the EVTX corpus as flat JSON.
func corpusEvents(tb testing.TB) [][]byte {
	tb.Helper()
	root := corpus.Path(tb, "evtx")
	var events [][]byte
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".evtx") {
			return err
		}
		r, err := evtx.Open(p)
		if err != nil {
			tb.Logf("%s: %v", p, err)
			return nil
		}
		defer r.Close()
		for rec, err := range r.Records() {
			if err != nil {
				continue
			}
			events = append(events, rec.AppendFlatJSON(nil))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return events
}

// windowsRules returns the corpus rules whose log source product is windows.
func windowsRules(tb testing.TB) []*Rule {
	rules, _, _ := loadCorpusRules(tb)
	var out []*Rule
	for _, r := range rules {
		if r.Logsource.Product == "windows" {
			out = append(out, r)
		}
	}
	return out
}

func BenchmarkMatchWindows(b *testing.B) {
	rules := windowsRules(b)
	events := corpusEvents(b)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	set, err := Compile(rules, corpusOptions())
	if err != nil {
		b.Fatal(err)
	}
	compileTime := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.Logf("%d rules, %d events, compile %v, heap in use by the set %.1f MB (total heap %.1f MB)",
		len(set.Rules()), len(events), compileTime,
		float64(after.HeapInuse-before.HeapInuse)/1e6, float64(after.HeapInuse)/1e6)
	m := set.NewMatcher()
	hits := 0
	count := func(*Rule) { hits++ }
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, ev := range events {
			if err := m.MatchJSON(ev, count); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(hits)/float64(b.N), "matches/op")
	runtime.KeepAlive(set)
}

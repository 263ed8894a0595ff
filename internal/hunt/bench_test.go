package hunt

import (
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// BenchmarkHuntEVTXCorpus hunts the whole EVTX corpus with every SigmaHQ
// rule (loading the rules is not timed): reading, matching, sorting.
func BenchmarkHuntEVTXCorpus(b *testing.B) {
	dirs := sigmaRuleDirs(b)
	in := corpus.Path(b, "evtx")
	rs := LoadRules(dirs, RuleOptions{})
	b.ResetTimer()
	records := 0
	for b.Loop() {
		res, err := Run(context.Background(), rs, []string{in}, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		records += res.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkLoadRules loads and compiles every SigmaHQ rule.
func BenchmarkLoadRules(b *testing.B) {
	dirs := sigmaRuleDirs(b)
	for b.Loop() {
		if rs := LoadRules(dirs, RuleOptions{}); rs.Loaded == 0 {
			b.Fatal("no rules loaded")
		}
	}
}

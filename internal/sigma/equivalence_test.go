package sigma

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ruleKeys(rs []*Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID + " " + r.Title
	}
	return out
}

// TestEquivalenceCorpus checks the compiled matcher against the reference
// evaluator over every corpus rule and every regression and EVTX corpus
// event.
func TestEquivalenceCorpus(t *testing.T) {
	rules, _, _ := loadCorpusRules(t)
	opts := corpusOptions()
	set, err := Compile(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	ref := newRefEngine(t, rules, opts)
	var events [][]byte
	for _, c := range loadRegressionCases(t) {
		events = append(events, c.events...)
	}
	if !testing.Short() {
		// Every EVTX corpus event with KUBU_SIGMA_FULL=1; otherwise every
		// fourth, to keep the package test fast.
		step := 4
		if os.Getenv("KUBU_SIGMA_FULL") != "" {
			step = 1
		}
		for i, ev := range corpusEvents(t) {
			if i%step == 0 {
				events = append(events, ev)
			}
		}
	}
	m := set.NewMatcher()
	diffs, total := 0, 0
	for i, ev := range events {
		got, err := m.MatchRules(ev)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		want, err := ref.match(ev)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		total += len(want)
		if d := cmp.Diff(ruleKeys(want), ruleKeys(got)); d != "" {
			diffs++
			if diffs <= 10 {
				t.Errorf("event %d %s: compiled vs reference (-want +got):\n%s", i, strings.TrimSpace(string(ev[:min(len(ev), 300)])), d)
			}
		}
	}
	t.Logf("%d events, %d reference matches, %d events differ", len(events), total, diffs)
	if diffs > 0 {
		t.Errorf("%d events differ", diffs)
	}
}

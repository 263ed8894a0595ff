package sigma

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentMatchers matches the regression events from several
// goroutines, one Matcher each, on one shared Set (run with -race): the
// answers must equal a single matcher's.
func TestConcurrentMatchers(t *testing.T) {
	rules, _, _ := loadCorpusRules(t)
	set, err := Compile(rules, corpusOptions())
	if err != nil {
		t.Fatal(err)
	}
	var events [][]byte
	for _, c := range loadRegressionCases(t) {
		events = append(events, c.events...)
	}
	want := make([]string, len(events))
	m := set.NewMatcher()
	for i, ev := range events {
		got, err := m.MatchRules(ev)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = strings.Join(ruleKeys(got), "|")
	}
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m := set.NewMatcher()
			for k := 0; k < len(events); k++ {
				i := (k + w*37) % len(events) // different orders exercise the per-matcher caches
				got, err := m.MatchRules(events[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				if s := strings.Join(ruleKeys(got), "|"); s != want[i] {
					errs <- fmt.Sprintf("event %d: %s != %s", i, s, want[i])
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

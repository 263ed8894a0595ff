package sigma

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// corpusRuleFiles lists the YAML files of the three SigmaHQ rule folders.
func corpusRuleFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, dir := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		root := corpus.Path(tb, "sigma", dir)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	sort.Strings(files)
	return files
}

// loadCorpusRules parses every corpus rule file.
func loadCorpusRules(tb testing.TB) ([]*Rule, []error, int) {
	tb.Helper()
	files := corpusRuleFiles(tb)
	var rules []*Rule
	var errs []error
	for _, f := range files {
		rs, es := ParseFile(f)
		rules = append(rules, rs...)
		errs = append(errs, es...)
	}
	return rules, errs, len(files)
}

// knownRuleDefects lists corpus rules that fail to load because of a real
// defect of the rule, keyed by file base name, with the reason.
var knownRuleDefects = map[string]string{}

func TestLoadCorpusRules(t *testing.T) {
	rules, errs, nfiles := loadCorpusRules(t)
	if nfiles != 3754 {
		t.Errorf("corpus has %d rule files, want 3754", nfiles)
	}
	var unexpected []string
	for _, e := range errs {
		le, ok := e.(*LoadError)
		if !ok {
			t.Errorf("error is %T, want *LoadError: %v", e, e)
			continue
		}
		t.Logf("load failure: %v", le)
		if _, known := knownRuleDefects[filepath.Base(le.File)]; !known {
			unexpected = append(unexpected, le.Error())
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("%d unexpected load failures:\n%s", len(unexpected), strings.Join(unexpected, "\n"))
	}
	if len(errs) != len(knownRuleDefects) {
		t.Errorf("%d load failures, want %d (the known rule defects)", len(errs), len(knownRuleDefects))
	}
	t.Logf("%d files, %d rules loaded, %d failed", nfiles, len(rules), len(errs))

	// Every parsed rule must also compile (the ADCS rules need their
	// %known_cdcs% placeholder).
	set, err := Compile(rules, corpusOptions())
	if err != nil {
		t.Errorf("compile: %v", err)
	}
	if got := len(set.Rules()); got != len(rules) {
		t.Errorf("%d rules compiled, want %d", got, len(rules))
	}
	byLogsource := map[string]int{}
	for _, r := range set.Unmapped() {
		byLogsource[r.Logsource.String()]++
	}
	t.Logf("%d rules have a log source the Windows mapping does not route (applied to every event): %v", len(set.Unmapped()), byLogsource)
}

package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/evtx"
	"gopkg.in/yaml.v3"
)

type regressionCase struct {
	dir        string
	ruleID     string
	matchCount int
	events     [][]byte // flat JSON
}

type regressionInfo struct {
	RuleMetadata []struct {
		ID string `yaml:"id"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Type       string `yaml:"type"`
		Path       string `yaml:"path"`
		MatchCount int    `yaml:"match_count"`
	} `yaml:"regression_tests_info"`
}

// loadRegressionCases reads every regression folder that has an EVTX test.
func loadRegressionCases(tb testing.TB) []regressionCase {
	tb.Helper()
	root := corpus.Path(tb, "sigma-regression", "regression_data")
	var cases []regressionCase
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "info.yml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var info regressionInfo
		if err := yaml.Unmarshal(data, &info); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		if len(info.Tests) == 0 || len(info.RuleMetadata) == 0 || info.Tests[0].Type != "evtx" {
			return nil
		}
		dir := filepath.Dir(p)
		jsonPath := strings.TrimSuffix(filepath.Join(dir, filepath.Base(info.Tests[0].Path)), ".evtx") + ".json"
		raw, err := os.ReadFile(jsonPath)
		if err != nil {
			return err
		}
		docs, err := readConcatenatedJSON(raw)
		if err != nil {
			tb.Fatalf("%s: %v", jsonPath, err)
		}
		c := regressionCase{dir: strings.TrimPrefix(dir, root+"/"), ruleID: info.RuleMetadata[0].ID, matchCount: info.Tests[0].MatchCount}
		if c.matchCount == 0 {
			c.matchCount = 1
		}
		for _, d := range docs {
			flat, err := evtx.FlattenJSON(d, nil)
			if err != nil {
				tb.Fatalf("%s: %v", jsonPath, err)
			}
			c.events = append(c.events, flat)
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

func TestRegressionData(t *testing.T) {
	cases := loadRegressionCases(t)
	rules, _, _ := loadCorpusRules(t)
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	set, err := Compile(rules, corpusOptions())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m := set.NewMatcher()
	pass, fail := 0, 0
	for _, c := range cases {
		r := byID[c.ruleID]
		if r == nil {
			t.Errorf("%s: rule %s not in corpus", c.dir, c.ruleID)
			fail++
			continue
		}
		n := 0
		for _, ev := range c.events {
			if err := m.MatchJSON(ev, func(got *Rule) {
				if got == r {
					n++
				}
			}); err != nil {
				t.Fatalf("%s: %v", c.dir, err)
			}
		}
		if n >= c.matchCount {
			pass++
			continue
		}
		fail++
		t.Logf("FAIL %s: rule %q matched %d of %d events, want %d", c.dir, r.Title, n, len(c.events), c.matchCount)
	}
	t.Logf("regression: %d/%d passed", pass, len(cases))
	if len(cases) != 202 {
		t.Errorf("found %d regression cases, want 202", len(cases))
	}
	if pass < 199 {
		t.Errorf("only %d/%d regression cases pass, want at least 199", pass, len(cases))
	}
}

// corpusOptions are the compile options used with the corpus rules: the
// emerging-threats ADCS rules need the %known_cdcs% placeholder.
func corpusOptions() Options {
	return Options{Placeholders: map[string][]string{"known_cdcs": {"dc01.example.internal"}}}
}

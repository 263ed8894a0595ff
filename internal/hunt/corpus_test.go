package hunt

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
	"gopkg.in/yaml.v3"
)

// sigmaRuleDirs are the SigmaHQ rule folders of the corpus.
func sigmaRuleDirs(tb testing.TB) []string {
	tb.Helper()
	var dirs []string
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		dirs = append(dirs, corpus.Path(tb, "sigma", d))
	}
	return dirs
}

// knownRuleDefects lists corpus rule files (by base name) that fail to
// load because of a real defect of the rule, with the reason. None today.
var knownRuleDefects = map[string]string{}

func TestCheckAllSigmaRules(t *testing.T) {
	rs := LoadRules(sigmaRuleDirs(t), RuleOptions{})
	if rs.Files != 3754 {
		t.Errorf("read %d rule files, want 3754", rs.Files)
	}
	for _, f := range rs.Failures {
		if _, known := knownRuleDefects[filepath.Base(f.File)]; !known {
			t.Errorf("unexpected failure: %s: %s", f.File, f.Error)
		}
	}
	if want := 3754 - len(knownRuleDefects); rs.Loaded != want {
		t.Errorf("loaded %d rules, want %d", rs.Loaded, want)
	}
	for _, w := range rs.Warnings {
		t.Logf("warning: %s", w)
	}
}

// ruleFilesByID maps rule ids to rule files by their top-level "id:" line.
func ruleFilesByID(t *testing.T) map[string]string {
	t.Helper()
	byID := map[string]string{}
	for _, dir := range sigmaRuleDirs(t) {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
					byID[strings.TrimSpace(id)] = p
					break
				}
			}
			return sc.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return byID
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

// TestSigmaRegressionData runs each SigmaHQ regression test through the
// hunt engine: the test's rule over its .evtx file must match at least
// match_count times.
func TestSigmaRegressionData(t *testing.T) {
	root := corpus.Path(t, "sigma-regression", "regression_data")
	byID := ruleFilesByID(t)
	pass, total := 0, 0
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
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if len(info.RuleMetadata) == 0 || len(info.Tests) == 0 || info.Tests[0].Type != "evtx" {
			return nil
		}
		total++
		name, _ := filepath.Rel(root, filepath.Dir(p))
		id, want := info.RuleMetadata[0].ID, max(info.Tests[0].MatchCount, 1)
		evtxPath := filepath.Join(filepath.Dir(p), filepath.Base(info.Tests[0].Path))
		ruleFile := byID[id]
		if ruleFile == "" {
			t.Errorf("FAIL %s: no rule file with id %s", name, id)
			return nil
		}
		rs := LoadRules([]string{ruleFile}, RuleOptions{Workers: 1})
		if len(rs.Failures) > 0 {
			t.Errorf("FAIL %s: rule %s does not load: %s", name, ruleFile, rs.Failures[0].Error)
			return nil
		}
		res, err := Run(context.Background(), rs, []string{evtxPath}, RunOptions{})
		if err != nil {
			return err
		}
		n := 0
		for _, d := range res.Detections {
			if d.Rule.ID == id {
				n++
			}
		}
		switch {
		case res.FailedFiles() > 0:
			t.Errorf("FAIL %s: %s unreadable: %s", name, evtxPath, res.Files[0].Err)
		case n < want:
			t.Errorf("FAIL %s: rule %s matched %d of %d records, want at least %d", name, filepath.Base(ruleFile), n, res.Records, want)
		default:
			pass++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("regression: %d/%d pass", pass, total)
	if total != 202 {
		t.Errorf("found %d EVTX regression tests, want 202", total)
	}
	if pass < 199 {
		t.Errorf("%d/%d regression tests pass, want at least 199", pass, total)
	}
}

// TestHuntEVTXCorpus hunts the whole EVTX corpus with every SigmaHQ rule:
// no record may be lost and something must be found.
func TestHuntEVTXCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the whole-corpus hunt in -short mode")
	}
	rs := LoadRules(sigmaRuleDirs(t), RuleOptions{})
	res, err := Run(context.Background(), rs, []string{corpus.Path(t, "evtx")}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 412 || res.Records != 12953 || res.RecordsFailed != 0 || res.FailedFiles() != 0 {
		t.Errorf("files %d (%d unreadable), records %d (%d failed); want 412 files, 12953 records, none failed",
			len(res.Files), res.FailedFiles(), res.Records, res.RecordsFailed)
	}
	if len(res.Detections) == 0 {
		t.Error("no detections over the EVTX corpus")
	}
	for i := 1; i < len(res.Detections); i++ {
		if res.Detections[i].Time.Before(res.Detections[i-1].Time) {
			t.Fatalf("timeline out of order at %d: %v after %v", i, res.Detections[i].Time, res.Detections[i-1].Time)
		}
	}
	t.Logf("%d rules, %d records, %d detections", rs.Loaded, res.Records, len(res.Detections))
}

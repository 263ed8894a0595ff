package hunt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// writeFiles creates files (name → content) under a new temporary folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ruleYAML is a small detection rule over the JSON field "action".
func ruleYAML(id, title, level, detection string) string {
	return "title: " + title + "\nid: " + id + "\nauthor: Kubu Test Team\nlevel: " + level +
		"\nlogsource:\n    product: testapp\ndetection:\n" + detection
}

func TestLoadRulesReportsFailures(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.yml":          ruleYAML("11111111-0000-4000-8000-000000000001", "Good", "high", "    sel:\n        action: x\n    condition: sel\n"),
		"sub/bad_cond.yaml": ruleYAML("11111111-0000-4000-8000-000000000002", "Bad Condition", "high", "    sel:\n        action: x\n    condition: sel and\n"),
		"sub/broken.yml":    "title: [unclosed\n",
		"sub/notes.txt":     "not a rule",
		".git/config.yml":   "not: a rule",
	})
	rs := LoadRules([]string{dir, filepath.Join(dir, "missing")}, RuleOptions{})
	rep := rs.Check()
	if rep.RulesLoaded != 1 || rep.RulesFailed != 3 || rs.Files != 3 {
		t.Fatalf("check = %+v, files %d; want 1 loaded, 3 failed, 3 files", rep, rs.Files)
	}
	got := map[string]string{}
	for _, f := range rep.Failures {
		got[filepath.Base(f.File)] = f.Error
	}
	for file, want := range map[string]string{
		"missing":       "no such file or directory",
		"bad_cond.yaml": `rule "Bad Condition"`,
		"broken.yml":    "line ",
	} {
		if !strings.Contains(got[file], want) {
			t.Errorf("failure for %s = %q, want it to mention %q (all: %v)", file, got[file], want, got)
		}
	}
}

func TestSelectRules(t *testing.T) {
	cases := []struct {
		name     string
		opts     RuleOptions
		want     []string // titles of the timeline's rules, in order
		missing  []string
		compiled int
	}{
		{"all", RuleOptions{}, []string{"Web App Login Success", "Encoded PowerShell Command Line", "Connection To Port 4444",
			"Whoami Execution", "Whoami Execution", "Web App Login Brute Force", "Web App Login Success"}, nil, 6},
		{"min level high keeps the correlation's low base rule hidden", RuleOptions{MinLevel: "high"},
			[]string{"Encoded PowerShell Command Line", "Connection To Port 4444", "Web App Login Brute Force"}, nil, 4},
		{"min level critical", RuleOptions{MinLevel: "critical"}, []string{"Connection To Port 4444"}, nil, 1},
		{"rule id", RuleOptions{RuleIDs: []string{"6a1e7c10-0000-4000-8000-000000000001"}},
			[]string{"Whoami Execution", "Whoami Execution"}, nil, 1},
		{"base rule of a correlation alone is reported", RuleOptions{RuleIDs: []string{"6a1e7c10-0000-4000-8000-000000000003"}},
			[]string{"Web App Login Failure", "Web App Login Failure", "Web App Login Failure", "Web App Login Failure"}, nil, 1},
		{"unknown id", RuleOptions{RuleIDs: []string{"6a1e7c10-0000-4000-8000-000000000001", "nope"}},
			[]string{"Whoami Execution", "Whoami Execution"}, []string{"nope"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := goldenRun(t, c.opts)
			var got []string
			for _, d := range res.Detections {
				got = append(got, d.Rule.Title)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("timeline rules (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.missing, res.Rules.MissingIDs); diff != "" {
				t.Errorf("missing ids (-want +got):\n%s", diff)
			}
			if res.Rules.Loaded != c.compiled {
				t.Errorf("loaded %d rules, want %d", res.Rules.Loaded, c.compiled)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"filter.yml": ruleYAML("22222222-0000-4000-8000-000000000001", "Unknown Host", "high",
			"    sel:\n        action: logon\n    known:\n        host|expand: '%known_hosts%'\n    condition: sel and not known\n"),
		"select.yml": ruleYAML("22222222-0000-4000-8000-000000000002", "Admin Logon", "high",
			"    sel:\n        action: logon\n        user|expand: '%admins%'\n    condition: sel\n"),
	})
	logs := writeFiles(t, map[string]string{"a.jsonl": `{"action":"logon","host":"dc1","user":"root"}` + "\n"})
	cases := []struct {
		name  string
		ph    map[string][]string
		want  []string
		warns int
	}{
		{"missing placeholders are empty lists", nil, []string{"Unknown Host"}, 2},
		{"given placeholders are used", map[string][]string{"known_hosts": {"dc1"}, "admins": {"root", "admin"}}, []string{"Admin Logon"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := LoadRules([]string{dir}, RuleOptions{Placeholders: c.ph})
			if rs.Loaded != 2 || len(rs.Failures) > 0 {
				t.Fatalf("loaded %d, failures %+v", rs.Loaded, rs.Failures)
			}
			if len(rs.Warnings) != c.warns {
				t.Errorf("warnings %q, want %d", rs.Warnings, c.warns)
			}
			res, err := Run(context.Background(), rs, []string{logs}, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range res.Detections {
				got = append(got, d.Rule.Title)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("detections (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthors(t *testing.T) {
	cases := map[string][]string{
		"":                               {},
		"Florian Roth (Nextron Systems)": {"Florian Roth (Nextron Systems)"},
		"E.M. Anhaus (originally from Atomic Blue Detections, Endgame), oscd.community": {
			"E.M. Anhaus (originally from Atomic Blue Detections, Endgame)", "oscd.community"},
		"'@2xxeformyshirt (Security Risk Advisors) - rule; Teymur Kheirkhabarov (idea)": {
			"'@2xxeformyshirt (Security Risk Advisors) - rule", "Teymur Kheirkhabarov (idea)"},
		"a,, b ,":           {"a", "b"},
		"unbalanced ) x, y": {"unbalanced ) x", "y"},
	}
	for in, want := range cases {
		r := &sigma.Rule{Author: in}
		if diff := cmp.Diff(want, Authors(r)); diff != "" {
			t.Errorf("Authors(%q) (-want +got):\n%s", in, diff)
		}
	}
}

// TestRuleWithoutLevelRanksMedium: a rule without a level is ranked as
// medium, as live detection raises its alerts (package severity holds the
// one ranking; round 1's hunt ranked it informational, so --min-level
// medium dropped rules whose alerts were medium in kubu serve).
func TestRuleWithoutLevelRanksMedium(t *testing.T) {
	noLevel := "title: No Level\nid: 33333333-0000-4000-8000-000000000001\nlogsource:\n    product: testapp\n" +
		"detection:\n    sel:\n        action: x\n    condition: sel\n"
	dir := writeFiles(t, map[string]string{
		"none.yml": noLevel,
		"low.yml":  ruleYAML("33333333-0000-4000-8000-000000000002", "Low", "low", "    sel:\n        action: x\n    condition: sel\n"),
	})
	for min, want := range map[string]int{"": 2, "low": 2, "medium": 1, "high": 0} {
		rs := LoadRules([]string{dir}, RuleOptions{MinLevel: min})
		if n := rs.Check().RulesLoaded; n != want {
			t.Errorf("--min-level %q kept %d rules, want %d", min, n, want)
		}
	}
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/corpus"
)

// huntFixture writes two rules and a JSON Lines log; it returns the rules
// folder and the log file.
func huntFixture(t *testing.T) (rules, logs string) {
	t.Helper()
	dir := t.TempDir()
	rules = filepath.Join(dir, "rules")
	files := map[string]string{
		"rules/login.yml": "title: Failed Login\nid: 44444444-0000-4000-8000-000000000001\nauthor: Kubu Test Team\nlevel: low\n" +
			"logsource:\n    product: testapp\ndetection:\n    sel:\n        action: login_failed\n    condition: sel\n",
		"rules/admin.yml": "title: Admin Login\nid: 44444444-0000-4000-8000-000000000002\nauthor: Kubu Test Team, Someone Else\nlevel: high\n" +
			"logsource:\n    product: testapp\ndetection:\n    sel:\n        action: login\n        user: admin\n    condition: sel\n",
		"logs/app.jsonl": `{"time":"2026-03-01T10:00:02Z","action":"login","user":"admin"}` + "\n" +
			`{"time":"2026-03-01T10:00:01Z","action":"login_failed","user":"admin"}` + "\n" +
			`{"time":"2026-03-01T10:00:03Z","action":"logout","user":"admin"}` + "\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rules, filepath.Join(dir, "logs", "app.jsonl")
}

func TestHuntBadUsage(t *testing.T) {
	rules, logs := huntFixture(t)
	cases := map[string][]string{
		"no rules":             {logs},
		"no inputs":            {"--rules", rules},
		"unknown format":       {"--rules", rules, "--format", "xml", logs},
		"unknown level":        {"--rules", rules, "--min-level", "severe", logs},
		"check with inputs":    {"--rules", rules, "--check", logs},
		"unknown flag":         {"--rules", rules, "--bogus", logs},
		"placeholder no value": {"--rules", rules, "--placeholder", "admins", logs},
		"negative workers":     {"--rules", rules, "--workers", "-1", logs},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, nil, "", append([]string{"hunt"}, args...)...)
			if r.code != 2 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and nothing on stdout", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestHuntCheck(t *testing.T) {
	rules, _ := huntFixture(t)
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("title: Bad\nlogsource:\n    product: x\ndetection:\n    sel:\n        a: 1\n    condition: sel or\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "hunt", "--check", "--rules", rules, "--rules", bad)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("check: %+v; want exit 0 and one line", r)
	}
	var got struct {
		RulesLoaded int `json:"rules_loaded"`
		RulesFailed int `json:"rules_failed"`
		Failures    []struct {
			File  string `json:"file"`
			Error string `json:"error"`
		} `json:"failures"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("check output %q: %v", r.stdout, err)
	}
	if got.RulesLoaded != 2 || got.RulesFailed != 1 || len(got.Failures) != 1 || got.Failures[0].File != bad || got.Failures[0].Error == "" {
		t.Errorf("check = %+v; want 2 loaded and 1 failure naming %s", got, bad)
	}
}

func TestHuntOutputAndStats(t *testing.T) {
	rules, logs := huntFixture(t)
	dir := t.TempDir()
	out, stats := filepath.Join(dir, "out.csv"), filepath.Join(dir, "stats.json")
	// flags may follow the inputs
	r := run(t, nil, "", "hunt", logs, "--rules", rules, "--format", "csv", "--output", out, "--stats", stats)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("hunt: %+v", r)
	}
	for _, want := range []string{"rules: 2 loaded from 2 files, 0 failed", "inputs: 1 files (0 unreadable), 3 records (0 failed)", "detections: 2 (high 1, low 1)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	csv, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "timestamp,level,rule_title") ||
		!strings.HasPrefix(lines[1], "2026-03-01T10:00:01Z,low,Failed Login") || !strings.Contains(lines[2], logs+"#1") {
		t.Errorf("csv output:\n%s", csv)
	}
	b, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]float64
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("stats %s: %v", b, err)
	}
	var keys []string
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"detections", "files", "load_seconds", "records", "records_failed", "rules_loaded", "seconds"}, keys); diff != "" {
		t.Errorf("stats keys (-want +got):\n%s", diff)
	}
	if st["files"] != 1 || st["records"] != 3 || st["records_failed"] != 0 || st["rules_loaded"] != 2 || st["detections"] != 2 || st["load_seconds"] <= 0 || st["seconds"] <= 0 {
		t.Errorf("stats = %v", st)
	}
}

func TestHuntFilters(t *testing.T) {
	rules, logs := huntFixture(t)
	cases := []struct {
		name  string
		args  []string
		code  int
		lines int
	}{
		{"jsonl by default", nil, 0, 2},
		{"min level", []string{"--min-level", "medium"}, 0, 1},
		{"rule id", []string{"--rule-id", "44444444-0000-4000-8000-000000000001"}, 0, 1},
		{"unknown rule id", []string{"--rule-id", "nope"}, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"hunt", "--quiet", "--rules", rules}, c.args...)
			r := run(t, nil, "", append(args, logs)...)
			if r.code != c.code || strings.Count(r.stdout, "\n") != c.lines {
				t.Fatalf("%+v; want exit %d and %d lines", r, c.code, c.lines)
			}
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var d map[string]any
				if line != "" && (json.Unmarshal([]byte(line), &d) != nil || d["authors"] == nil || d["source"] == nil) {
					t.Errorf("bad jsonl line %q", line)
				}
			}
		})
	}
}

func TestHuntUnreadableInput(t *testing.T) {
	rules, logs := huntFixture(t)
	missing := filepath.Join(t.TempDir(), "gone.evtx")
	r := run(t, nil, "", "hunt", "--rules", rules, missing, logs)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(lines[len(lines)-1], missing) {
		t.Errorf("%+v; want exit 1, the other file's 2 detections and a last line naming %s", r, missing)
	}
}

// TestHuntEVTXCorpusEndToEnd runs the command over the whole EVTX corpus
// with every SigmaHQ rule.
func TestHuntEVTXCorpusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the whole-corpus hunt in -short mode")
	}
	evtx := corpus.Path(t, "evtx")
	args := []string{"hunt", "--quiet", "--output", filepath.Join(t.TempDir(), "out.jsonl"), "--stats", filepath.Join(t.TempDir(), "stats.json")}
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		args = append(args, "--rules", corpus.Path(t, "sigma", d))
	}
	r := run(t, nil, "", append(args, evtx)...)
	if r.code != 0 {
		t.Fatalf("hunt: %+v", r)
	}
	b, err := os.ReadFile(args[5])
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Files, Records, Detections int
		RecordsFailed              int     `json:"records_failed"`
		RulesLoaded                int     `json:"rules_loaded"`
		LoadSeconds                float64 `json:"load_seconds"`
		Seconds                    float64
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Files != 412 || st.Records != 12953 || st.RecordsFailed != 0 || st.RulesLoaded != 3754 || st.Detections == 0 {
		t.Errorf("stats %+v; want 412 files, 12953 records, none failed, 3754 rules, some detections", st)
	}
	t.Logf("stats: %s", b)
}

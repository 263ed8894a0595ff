package sigma

import (
	"strings"
	"testing"
)

// testRule wraps a detection section (YAML, indented by 4 spaces under
// "detection:") into a complete rule of an unmapped log source.
func testRule(tb testing.TB, detection string) *Rule {
	tb.Helper()
	src := "title: test rule\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n    product: test\ndetection:\n" + indent(detection, "    ")
	rules, errs := Parse("test.yml", []byte(src))
	if len(errs) > 0 {
		tb.Fatalf("parse: %v\n%s", errs[0], src)
	}
	return rules[0]
}

func indent(s, pfx string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pfx + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// matchBoth matches event against rules with the compiled matcher and the
// reference evaluator and fails the test when they disagree.
func matchBoth(tb testing.TB, rules []*Rule, opts Options, event string) []*Rule {
	tb.Helper()
	set, err := Compile(rules, opts)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	got, err := set.NewMatcher().MatchRules([]byte(event))
	if err != nil {
		tb.Fatalf("match %s: %v", event, err)
	}
	got = append([]*Rule(nil), got...)
	ref := newRefEngine(tb, rules, opts)
	want, err := ref.match([]byte(event))
	if err != nil {
		tb.Fatal(err)
	}
	if strings.Join(ruleKeys(got), "|") != strings.Join(ruleKeys(want), "|") {
		tb.Fatalf("compiled %v != reference %v for %s", ruleKeys(got), ruleKeys(want), event)
	}
	// the generic Event path must agree too
	ev, err := JSONEvent([]byte(event))
	if err != nil {
		tb.Fatal(err)
	}
	var viaEvent []*Rule
	set.NewMatcher().Match(ev, func(r *Rule) { viaEvent = append(viaEvent, r) })
	if strings.Join(ruleKeys(got), "|") != strings.Join(ruleKeys(viaEvent), "|") {
		tb.Fatalf("MatchJSON %v != Match(JSONEvent) %v for %s", ruleKeys(got), ruleKeys(viaEvent), event)
	}
	return got
}

type matchCase struct {
	name      string
	detection string
	event     string
	want      bool
}

func runMatchCases(t *testing.T, cases []matchCase, opts Options) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testRule(t, c.detection)
			got := len(matchBoth(t, []*Rule{r}, opts, c.event)) == 1
			if got != c.want {
				t.Errorf("match = %v, want %v\ndetection:\n%s\nevent: %s", got, c.want, c.detection, c.event)
			}
		})
	}
}

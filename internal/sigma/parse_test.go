package sigma

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const whoamiRule = `title: Whoami Execution
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: whoami_exec
status: test
description: Detects a whoami.exe execution
references:
    - https://example.org/whoami
author: Florian Roth
date: 2019-10-23
modified: 2024-01-02
tags:
    - attack.discovery
    - attack.t1033
related:
    - id: 08fbc97d-0a2f-491c-ae21-8ffcfd3174e9
      type: derived
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\Windows\System32\whoami.exe'
    condition: selection
fields:
    - CommandLine
falsepositives:
    - Admin activity
level: high
`

func TestParseMetadata(t *testing.T) {
	rules, errs := Parse("whoami.yml", []byte(whoamiRule))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := rules[0]
	got := *r
	got.Detection = nil
	want := Rule{
		ID: "929a690e-bef0-4204-a928-ef5e620d6fcc", Name: "whoami_exec", Title: "Whoami Execution",
		Status: "test", Description: "Detects a whoami.exe execution", Author: "Florian Roth",
		Date: "2019-10-23", Modified: "2024-01-02", Level: "high",
		References:     []string{"https://example.org/whoami"},
		Tags:           []string{"attack.discovery", "attack.t1033"},
		FalsePositives: []string{"Admin activity"},
		Fields:         []string{"CommandLine"},
		Related:        []Related{{ID: "08fbc97d-0a2f-491c-ae21-8ffcfd3174e9", Type: "derived"}},
		Logsource:      Logsource{Category: "process_creation", Product: "windows"},
		File:           "whoami.yml", Line: 1,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("metadata (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"selection"}, r.Detection.Identifiers()); d != "" {
		t.Errorf("identifiers: %s", d)
	}
	if r.Kind() != "rule" {
		t.Errorf("kind %q", r.Kind())
	}
}

func TestParseMultiDocument(t *testing.T) {
	src := `action: global
title: Base
logsource:
    product: windows
detection:
    condition: selection
level: high
---
logsource:
    service: security
detection:
    selection:
        EventID: 4624
---
action: repeat
title: Repeat
detection:
    selection:
        EventID: 4625
---
action: reset
---
title: Plain
logsource:
    product: test
detection:
    sel:
        A: 1
    condition: sel
`
	rules, errs := Parse("multi.yml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.Title+"|"+r.Logsource.String()+"|"+r.Level+"|"+strings.Join(r.Detection.Conditions, ","))
	}
	want := []string{
		"Base|product:windows service:security|high|selection",
		"Repeat|product:windows service:security|high|selection",
		"Plain|product:test||sel",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("documents (-want +got):\n%s", d)
	}
	set, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hits, _ := set.NewMatcher().MatchRules([]byte(`{"Channel":"Security","EventID":4625}`))
	if len(hits) != 1 || hits[0].Title != "Repeat" {
		t.Errorf("repeat document: got %v", ruleKeys(hits))
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"yaml syntax", "title: x\ndetection: [\n", "yaml", 2},
		{"no title", "logsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n    condition: sel\n", "missing title", 1},
		{"no detection", "title: x\nlogsource:\n    product: x\n", "no detection", 1},
		{"no condition", "title: x\ndetection:\n    sel:\n        A: 1\n", "no condition", 3},
		{"unknown modifier", "title: x\ndetection:\n    sel:\n        A|sortof: 1\n    condition: sel\n", "unknown modifier", 4},
		{"lookahead regex", "title: x\ndetection:\n    sel:\n        A|re: 'a(?=b)'\n    condition: sel\n", "RE2", 4},
		{"backreference", "title: x\ndetection:\n    sel:\n        A|re: '(a)\\1'\n    condition: sel\n", "RE2", 4},
		{"base64 of wildcard", "title: x\ndetection:\n    sel:\n        A|base64: 'a*'\n    condition: sel\n", "wildcards", 4},
		{"bad cidr", "title: x\ndetection:\n    sel:\n        A|cidr: '10.0.0.0/99'\n    condition: sel\n", "cidr", 4},
		{"gt needs number", "title: x\ndetection:\n    sel:\n        A|gt: many\n    condition: sel\n", "number", 4},
		{"exists needs bool", "title: x\ndetection:\n    sel:\n        A|exists: maybe\n    condition: sel\n", "exists", 4},
		{"i without re", "title: x\ndetection:\n    sel:\n        A|i: x\n    condition: sel\n", "only valid after re", 4},
		{"contains and re", "title: x\ndetection:\n    sel:\n        A|re|contains: x\n    condition: sel\n", "cannot be combined", 4},
		{"nested list", "title: x\ndetection:\n    sel:\n        - - a\n    condition: sel\n", "nested", 4},
		{"not a mapping", "- a\n- b\n", "not a YAML mapping", 1},
		{"bad correlation type", "title: x\ncorrelation:\n    type: nope\n    rules: [a]\n    timespan: 1h\n", "unknown correlation type", 3},
		{"bad timespan", "title: x\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [u]\n    timespan: 1y\n    condition:\n        gte: 2\n", "timespan", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := Parse("bad.yml", []byte(c.src))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			var le *LoadError
			if !errors.As(errs[0], &le) {
				t.Fatalf("%T is not a *LoadError", errs[0])
			}
			if !strings.Contains(le.Error(), c.want) {
				t.Errorf("error %q does not mention %q", le.Error(), c.want)
			}
			if le.Line != c.line || le.File != "bad.yml" {
				t.Errorf("error at %s:%d, want bad.yml:%d (%v)", le.File, le.Line, c.line, le)
			}
		})
	}
}

func TestParseFileMissing(t *testing.T) {
	_, errs := ParseFile("/nonexistent/rule.yml")
	var le *LoadError
	if len(errs) != 1 || !errors.As(errs[0], &le) || le.File != "/nonexistent/rule.yml" {
		t.Fatalf("errs = %v", errs)
	}
}

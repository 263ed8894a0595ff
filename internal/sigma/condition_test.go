package sigma

import (
	"errors"
	"strings"
	"testing"
)

// condDetection defines four search identifiers on fields A..D and the
// given condition; each is true when its field is "1".
func condDetection(cond string) string {
	return "sel_a:\n    A: 1\nsel_b:\n    B: 1\nfilter_c:\n    C: 1\n_hidden:\n    D: 1\ncondition: " + cond
}

func TestConditionForms(t *testing.T) {
	ev := func(a, b, c, d int) string {
		return `{"A":` + itoa(a) + `,"B":` + itoa(b) + `,"C":` + itoa(c) + `,"D":` + itoa(d) + `}`
	}
	cases := []struct {
		cond       string
		a, b, c, d int
		want       bool
	}{
		{"sel_a", 1, 0, 0, 0, true},
		{"sel_a and sel_b", 1, 0, 0, 0, false},
		{"sel_a or sel_b", 0, 1, 0, 0, true},
		{"not sel_a", 0, 0, 0, 0, true},
		{"NOT sel_a", 1, 0, 0, 0, false},
		// precedence: not > and > or
		{"sel_a or sel_b and filter_c", 1, 0, 0, 0, true},
		{"sel_a or sel_b and filter_c", 0, 1, 0, 0, false},
		{"(sel_a or sel_b) and filter_c", 1, 0, 0, 0, false},
		{"not sel_a and sel_b", 0, 1, 0, 0, true},
		{"not sel_a and sel_b", 1, 1, 0, 0, false},
		{"not (sel_a and sel_b)", 1, 1, 0, 0, false},
		{"not not sel_a", 1, 0, 0, 0, true},
		{"sel_a and not filter_c", 1, 0, 1, 0, false},
		{"1 of sel_*", 0, 1, 0, 0, true},
		{"any of sel_*", 0, 1, 0, 0, true},
		{"all of sel_*", 0, 1, 0, 0, false},
		{"all of sel_*", 1, 1, 0, 0, true},
		{"2 of them", 1, 0, 1, 0, true},
		{"2 of them", 1, 0, 0, 1, false}, // _hidden is not part of them
		{"1 of them", 0, 0, 0, 1, false},
		{"all of them", 1, 1, 1, 0, true},
		{"all of them and _hidden", 1, 1, 1, 0, false},
		{"1 of sel_* and not 1 of filter_*", 1, 0, 1, 0, false},
		{"1 of sel_* and not 1 of filter_*", 1, 0, 0, 0, true},
		{"all of sel_a", 1, 0, 0, 0, true},
		{"(sel_a)", 1, 0, 0, 0, true},
		{"((sel_a or (sel_b)))", 0, 1, 0, 0, true},
		{"sel_a AND sel_b OR filter_c", 0, 0, 1, 0, true},
	}
	for _, c := range cases {
		t.Run(c.cond+"/"+ev(c.a, c.b, c.c, c.d), func(t *testing.T) {
			r := testRule(t, condDetection(c.cond))
			got := len(matchBoth(t, []*Rule{r}, Options{}, ev(c.a, c.b, c.c, c.d))) == 1
			if got != c.want {
				t.Errorf("%q on %s = %v, want %v", c.cond, ev(c.a, c.b, c.c, c.d), got, c.want)
			}
		})
	}
}

func TestConditionList(t *testing.T) {
	det := "sel_a:\n    A: 1\nsel_b:\n    B: 1\ncondition:\n    - sel_a\n    - sel_b"
	r := testRule(t, det)
	if got := matchBoth(t, []*Rule{r}, Options{}, `{"B":1}`); len(got) != 1 {
		t.Errorf("condition list is an OR: got %d matches", len(got))
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestConditionErrors(t *testing.T) {
	cases := []struct {
		cond, want string
	}{
		{"sel_a | count() > 5", "aggregation"},
		{"sel_a and", "unexpected end"},
		{"(sel_a", "missing ')'"},
		{"sel_a sel_b", "unexpected"},
		{"nosuch", "undefined search identifier"},
		{"1 of nomatch*", "matches no search identifier"},
		{"x of sel_*", "bad quantifier"},
		{"sel_a or or sel_b", "unexpected keyword"},
		{"sel_a & sel_b", "unexpected character"},
		{"", "unexpected end"},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			src := "title: t\nlogsource:\n    product: test\ndetection:\n" + indent(condDetection("'"+c.cond+"'"), "    ")
			_, errs := Parse("c.yml", []byte(src))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1", len(errs))
			}
			var le *LoadError
			if !errors.As(errs[0], &le) {
				t.Fatalf("error %T is not a *LoadError", errs[0])
			}
			if le.File != "c.yml" || le.Line == 0 {
				t.Errorf("error location %s:%d, want c.yml and a line", le.File, le.Line)
			}
			if !strings.Contains(le.Error(), c.want) {
				t.Errorf("error %q does not mention %q", le.Error(), c.want)
			}
		})
	}
}

func TestConditionDepthLimit(t *testing.T) {
	deep := strings.Repeat("(", 500) + "sel" + strings.Repeat(")", 500)
	if _, err := parseCondition(deep); err == nil {
		t.Fatal("deeply nested condition parsed")
	}
	if _, err := parseCondition(strings.Repeat("not ", 500) + "sel"); err == nil {
		t.Fatal("deeply negated condition parsed")
	}
}

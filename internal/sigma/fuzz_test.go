package sigma

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseRule(f *testing.F) {
	f.Add([]byte(whoamiRule))
	f.Add([]byte(corrBaseRules))
	f.Add([]byte("action: global\ntitle: a\n---\ndetection:\n    s: [a]\n    condition: s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, errs := Parse("fuzz.yml", data)
		for _, e := range errs {
			if _, ok := e.(*LoadError); !ok {
				t.Fatalf("error %T is not a *LoadError", e)
			}
		}
		// whatever parsed must compile or fail cleanly
		set, _ := Compile(rules, Options{Placeholders: map[string][]string{"p": {"x"}}})
		if set == nil {
			t.Fatal("nil set")
		}
	})
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a", "a and not b", "1 of sel* or (x and y)", "all of them", "not (a or b) and c", "a | count() > 5", "((a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCondition(s)
		if err != nil {
			return
		}
		again, err := parseCondition(n.String())
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", n.String(), s, err)
		}
		if again.String() != n.String() {
			t.Fatalf("round trip %q -> %q", n.String(), again.String())
		}
	})
}

// FuzzMatch compares the compiled matcher with the reference evaluator on
// random detections and events.
func FuzzMatch(f *testing.F) {
	f.Add("sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains|all: [' /c ', 'whoami']\ncondition: sel", `{"Image":"C:\\cmd.exe","CommandLine":"cmd /c whoami"}`)
	f.Add("sel:\n    A|re: '^a.*b$'\nf:\n    B: null\ncondition: sel and not f", `{"A":"axb","B":null}`)
	f.Add("k:\n    - 'evil'\n    - 4625\ncondition: k", `{"x":{"y":["EVIL"]},"n":4625}`)
	f.Add("s1:\n    A|startswith: 'ab'\ns2:\n    A: 'a?c*'\ncondition: 1 of s*", `{"A":"abcd"}`)
	f.Add("s:\n    A|cidr: '10.0.0.0/8'\n    B|gt: 3\n    C|exists: false\ncondition: s", `{"A":"10.2.3.4","B":"4"}`)
	f.Add("s:\n    A|fieldref|contains: B\n    T|hour: 5\ncondition: s", `{"A":"xyz","B":"Y","T":"2026-01-01T05:00:00Z"}`)
	f.Add("s:\n    A|windash|contains: ' -x'\n    B|base64offset|contains: 'abc'\ncondition: s", `{"A":"a /x","B":"YWJj"}`)
	f.Fuzz(func(t *testing.T, detection string, event string) {
		if !utf8.ValidString(event) || !utf8.ValidString(detection) || len(detection) > 2000 {
			return
		}
		var probe map[string]any
		if json.Unmarshal([]byte(event), &probe) != nil {
			return
		}
		if hasDuplicateOrOddKeys(event) {
			return
		}
		src := "title: fuzz\nlogsource:\n    product: test\ndetection:\n" + indent(detection, "    ")
		rules, errs := Parse("fuzz.yml", []byte(src))
		if len(errs) > 0 || len(rules) != 1 {
			return
		}
		set, err := Compile(rules, Options{})
		if err != nil {
			return
		}
		m := set.NewMatcher()
		got, err := m.MatchRules([]byte(event))
		if err != nil {
			return
		}
		n1 := len(got)
		want, err := newRefEngine(t, rules, Options{}).match([]byte(event))
		if err != nil {
			return
		}
		if n1 != len(want) {
			t.Fatalf("compiled %d matches, reference %d\ndetection:\n%s\nevent: %s", n1, len(want), detection, event)
		}
		// again after another event: the matcher's per-field scan cache
		// must not change the answer
		if _, err := m.MatchRules([]byte(`{"A":"x","Image":"C:\\cmd.exe","CommandLine":"whoami"}`)); err != nil {
			t.Fatal(err)
		}
		again, _ := m.MatchRules([]byte(event))
		if len(again) != n1 {
			t.Fatalf("second match %d, first %d\ndetection:\n%s\nevent: %s", len(again), n1, detection, event)
		}
	})
}

// hasDuplicateOrOddKeys reports events whose object keys repeat (JSON
// decoders disagree on which wins) at any level.
func hasDuplicateOrOddKeys(s string) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := func() *frame {
			if len(stack) == 0 {
				return nil
			}
			return stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if fr := top(); fr != nil && fr.obj {
					fr.key = true
				}
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				if fr := top(); fr != nil && fr.obj {
					fr.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			fr := top()
			if fr != nil && fr.obj && fr.key {
				k := strings.ReplaceAll(v, " ", "")
				if fr.keys[v] || (k != v && fr.keys[k]) {
					return true
				}
				fr.keys[v], fr.keys[k] = true, true
				fr.key = false
				continue
			}
			if fr != nil && fr.obj {
				fr.key = true
			}
		default:
			if fr := top(); fr != nil && fr.obj {
				fr.key = true
			}
		}
	}
}

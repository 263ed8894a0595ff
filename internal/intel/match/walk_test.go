package match

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/valyala/fastjson"
)

// values lists what a walk hands to value(): "field=value" in order.
func rawValues(s *Set, doc []byte) []string {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	var out []string
	sc.set = s
	sc.onValue = func(f string, v []byte) { out = append(out, fmt.Sprintf("%s=%q", f, v)) }
	sc.walkRaw(doc)
	return out
}

func treeValues(s *Set, v *fastjson.Value) []string {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	var out []string
	sc.set = s
	sc.onValue = func(f string, v []byte) { out = append(out, fmt.Sprintf("%s=%q", f, v)) }
	sc.walk(v)
	return out
}

var walkSet = Build([]intel.Indicator{ind("x", intel.IP, "192.0.2.1")}, Options{Now: now, SkipFields: []string{"@kubu"}})

func TestWalkRaw(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{"a":"x","b":1,"c":true,"d":null,"e":"y"}`, []string{`a="x"`, `e="y"`}},
		{`{"a":{"b":{"c":"deep"}},"d":"top"}`, []string{`a.b.c="deep"`, `d="top"`}},
		{`{"a":["x",{"b":"y"},["z"]]}`, []string{`a="x"`, `a.b="y"`, `a="z"`}},
		{`[{"a":"x"},"y"]`, []string{`a="x"`, `="y"`}},
		{`"bare"`, []string{`="bare"`}},
		{`{"p":"C:\\Windows\\evil.example","q":"line\nnext","u":"\u0041\ud83d\ude00"}`,
			[]string{`p="C:\\Windows\\evil.example"`, `q="line\nnext"`, `u="A😀"`}},
		{`{"k\"ey":"v","x\\":"w"}`, []string{`k"ey="v"`, `x\="w"`}},
		{`{"s":"has \" quote and \\\\ two","t":"\\"}`, []string{`s="has \" quote and \\\\ two"`, `t="\\"`}},
		{` { "a" : "x" , "b" : [ "y" ] } `, []string{`a="x"`, `b="y"`}},
		{`{"@kubu":{"host":"h","agency":"a"},"a":"x"}`, []string{`a="x"`}},
		{`{"@kubu":"skip","a":"x"}`, []string{`a="x"`}},
		{`{"@kubu":["s","t"],"a":"x"}`, []string{`a="x"`}},
		{`{"o":{"@kubu":"kept"}}`, []string{`o.@kubu="kept"`}},
		{`{"a":"unterminated`, nil},
		{`{"a":"x"}}}]]{"b":"y"}`, []string{`a="x"`}},
	}
	for _, tc := range tests {
		got := rawValues(walkSet, []byte(tc.doc))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("walkRaw(%s) (-want +got):\n%s", tc.doc, diff)
		}
		if v, err := fastjson.Parse(tc.doc); err == nil {
			if diff := cmp.Diff(got, treeValues(walkSet, v)); diff != "" {
				t.Errorf("walkRaw and the fastjson walk differ on %s (-raw +tree):\n%s", tc.doc, diff)
			}
		}
	}
}

func TestWalkRawDepthLimit(t *testing.T) {
	doc := ""
	for i := 0; i < 100; i++ {
		doc += `{"a":`
	}
	doc += `"deep"`
	for i := 0; i < 100; i++ {
		doc += `}`
	}
	if got := rawValues(walkSet, []byte(doc)); len(got) != 0 {
		t.Fatalf("values past the depth limit: %v", got)
	}
}

// FuzzWalk holds the raw walker to the fastjson walk on every valid
// document, and to not crashing on the rest.
func FuzzWalk(f *testing.F) {
	f.Add([]byte(`{"@kubu":{"agency":"a"},"a":["x",{"b":"y\u0041"}],"c":"C:\\x\\evil.example"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		raw := rawValues(walkSet, doc)
		walkSet.Match(doc)
		if !json.Valid(doc) {
			return
		}
		v, err := fastjson.ParseBytes(doc)
		if err != nil {
			return
		}
		if d := depthOf(v); d >= maxDepth {
			return
		}
		if diff := cmp.Diff(treeValues(walkSet, v), raw); diff != "" {
			t.Fatalf("walks differ on %q (-tree +raw):\n%s", doc, diff)
		}
	})
}

func depthOf(v *fastjson.Value) int {
	switch v.Type() {
	case fastjson.TypeObject:
		d := 0
		o, _ := v.Object()
		o.Visit(func(_ []byte, c *fastjson.Value) { d = max(d, depthOf(c)) })
		return d + 1
	case fastjson.TypeArray:
		d := 0
		for _, c := range v.GetArray() {
			d = max(d, depthOf(c))
		}
		return d + 1
	}
	return 0
}

// naiveStringEnd is stringEnd one byte at a time.
func naiveStringEnd(b []byte, i int) (int, bool, bool) {
	esc, marks := false, false
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i, esc, marks
		case '\\':
			esc = true
			i++
		case '.', ':':
			marks = true
		}
	}
	return -1, esc, marks
}

func TestStringEnd(t *testing.T) {
	for _, s := range []string{
		`abc"`, `abcdefgh"`, `abcdefg."`, `abcdefgh".`, `abc"def.ghij`, `a\"b"`, `abcdefg\"hijklmn:"`,
		`abcdefg\\"`, `abcdefgh\`, `x`, `"`, `0123456789abcdef0123456789abcdef:x"`, `a.b`, `\u002e"`, `ab:cdefgh\"ij"`,
	} {
		b := []byte(s)
		e1, s1, m1 := stringEnd(b, 0)
		e2, s2, m2 := naiveStringEnd(b, 0)
		if e1 != e2 || s1 != s2 || m1 != m2 {
			t.Errorf("stringEnd(%q) = %d %v %v, want %d %v %v", s, e1, s1, m1, e2, s2, m2)
		}
		if e3, s3 := keyEnd(b, 0); e3 != e2 || s3 != s2 {
			t.Errorf("keyEnd(%q) = %d %v, want %d %v", s, e3, s3, e2, s2)
		}
	}
}

func FuzzStringEnd(f *testing.F) {
	f.Add([]byte(`abcdefg\"hijklmn:"tail.`), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, start uint8) {
		i := int(start) % (len(b) + 1)
		e1, s1, m1 := stringEnd(b, i)
		e2, s2, m2 := naiveStringEnd(b, i)
		if e1 != e2 || s1 != s2 || m1 != m2 {
			t.Fatalf("stringEnd(%q, %d) = %d %v %v, want %d %v %v", b, i, e1, s1, m1, e2, s2, m2)
		}
		if e3, s3 := keyEnd(b, i); e3 != e2 || s3 != s2 {
			t.Fatalf("keyEnd(%q, %d) = %d %v, want %d %v", b, i, e3, s3, e2, s2)
		}
	})
}

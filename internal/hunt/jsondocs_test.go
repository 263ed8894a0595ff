package hunt

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// doc is one document as docReader returns it, for comparison.
type doc struct {
	Text   string
	Status docStatus
}

// readDocs reads every document of in; oneByte makes every Read return a
// single byte, so each document crosses many refills.
func readDocs(t testing.TB, in string, max int, oneByte bool) []doc {
	t.Helper()
	var r io.Reader = strings.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	dr := newDocReader(r, max)
	var out []doc
	for {
		b, st, err := dr.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc{string(b), st})
		if len(out) > len(in)+1 {
			t.Fatalf("more documents than bytes in %q", in)
		}
	}
}

func TestDocReader(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want []doc
	}{
		{"one object", ` {"a":1} `, 0, []doc{{`{"a":1}`, docObject}}},
		{"array", "[\n {\"a\":1},\n {\"b\":[1,{\"c\":2}]}\n]\n", 0, []doc{{`{"a":1}`, docObject}, {`{"b":[1,{"c":2}]}`, docObject}}},
		{"concatenated", "{\"a\":1}\n{\n \"b\": 2\n}{\"c\":3}", 0, []doc{{`{"a":1}`, docObject}, {"{\n \"b\": 2\n}", docObject}, {`{"c":3}`, docObject}}},
		{"strings with brackets and escapes", `{"a":"}]\"{["}{"b":"\\"}`, 0, []doc{{`{"a":"}]\"{["}`, docObject}, {`{"b":"\\"}`, docObject}}},
		{"scalars and nested arrays are not objects", `[1, "x", [2,{}], null, {"a":1}]`, 0,
			[]doc{{"1", docOther}, {`"x"`, docOther}, {`[2,{}]`, docOther}, {"null", docOther}, {`{"a":1}`, docObject}}},
		{"byte order mark", "\xef\xbb\xbf{\"a\":1}", 0, []doc{{`{"a":1}`, docObject}}},
		{"stray closers", `}{"a":1}]`, 0, []doc{{"}", docOther}, {`{"a":1}`, docObject}, {"]", docOther}}},
		{"truncated", `{"a":1}{"b":`, 0, []doc{{`{"a":1}`, docObject}, {"", docTruncated}}},
		{"unterminated string", `{"a":"x`, 0, []doc{{"", docTruncated}}},
		{"too large is skipped", `{"a":"` + strings.Repeat("x", 200) + `"} {"b":1}`, 64, []doc{{"", docTooLarge}, {`{"b":1}`, docObject}}},
		{"empty", " \n\t", 0, nil},
		{"two arrays", `[{"a":1}][{"b":2}]`, 0, []doc{{`{"a":1}`, docObject}, {`{"b":2}`, docObject}}},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			name := c.name
			if oneByte {
				name += "/one byte reads"
			}
			t.Run(name, func(t *testing.T) {
				max := c.max
				if max == 0 {
					max = maxDoc
				}
				got := readDocs(t, c.in, max, oneByte)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("documents of %q (-want +got):\n%s", c.in, diff)
				}
			})
		}
	}
}

func TestLineReader(t *testing.T) {
	type line struct {
		Text string
		No   uint64
		OK   bool
	}
	cases := []struct {
		name string
		in   string
		max  int
		want []line
	}{
		{"lines", "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}", 0, []line{{`{"a":1}`, 1, true}, {`{"b":2}`, 4, true}, {`{"c":3}`, 5, true}}},
		{"byte order mark", "\xef\xbb\xbf{\"a\":1}\n", 0, []line{{`{"a":1}`, 1, true}}},
		{"long line kept", `{"a":"` + strings.Repeat("x", 100<<10) + "\"}\n{}\n", 0,
			[]line{{`{"a":"` + strings.Repeat("x", 100<<10) + `"}`, 1, true}, {"{}", 2, true}}},
		{"too long line skipped", `{"a":"` + strings.Repeat("x", 200<<10) + "\"}\n{}", 100 << 10, []line{{"", 1, false}, {"{}", 2, true}}},
		{"too long last line", "{}\n" + strings.Repeat("x", 200<<10), 100 << 10, []line{{"{}", 1, true}, {"", 2, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			max := c.max
			if max == 0 {
				max = maxDoc
			}
			lr := newLineReader(strings.NewReader(c.in), max)
			var got []line
			for {
				b, no, ok, err := lr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, line{string(b), no, ok})
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

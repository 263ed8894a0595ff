package hunt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// FuzzDocReader checks that splitting JSON documents does not depend on
// how the input arrives, keeps objects whole and takes a valid object as
// one document.
func FuzzDocReader(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[{"a":1},{"b":[2]}]`, "{\"a\":\"}\\\"\"}\n{}", `[1,"x",[{}]]`, `}{`, "\xef\xbb\xbf[]", `{"a":`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		whole := readDocs(t, in, 1<<10, false)
		bytewise := readDocs(t, in, 1<<10, true)
		if diff := cmp.Diff(whole, bytewise); diff != "" {
			t.Fatalf("documents depend on read sizes (-block +bytewise):\n%s", diff)
		}
		for _, d := range whole {
			if d.Status == docObject && (!strings.HasPrefix(d.Text, "{") || !strings.HasSuffix(d.Text, "}")) {
				t.Fatalf("object document %q is not braced", d.Text)
			}
		}
		trimmed := strings.TrimSpace(strings.TrimPrefix(in, "\xef\xbb\xbf"))
		if len(trimmed) < 1<<10 && strings.HasPrefix(trimmed, "{") && json.Valid([]byte(trimmed)) {
			if len(whole) != 1 || whole[0].Status != docObject || whole[0].Text != trimmed {
				t.Fatalf("valid object %q split into %+v", trimmed, whole)
			}
		}
	})
}

// FuzzLineReader checks that JSON Lines reading does not depend on read
// sizes and numbers lines upwards.
func FuzzLineReader(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n\n{}\r\n", "\xef\xbb\xbf{}", "x\ny", ""} {
		f.Add(s)
	}
	read := func(t *testing.T, r io.Reader) []string {
		lr := newLineReader(r, 64)
		var out []string
		var last uint64
		for {
			b, no, ok, err := lr.next()
			if errors.Is(err, io.EOF) {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			if no <= last {
				t.Fatalf("line number %d after %d", no, last)
			}
			last = no
			if ok && (len(b) == 0 || len(b) > 64 || bytes.IndexByte(b, '\n') >= 0) {
				t.Fatalf("bad line %q", b)
			}
			out = append(out, string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		a := read(t, strings.NewReader(in))
		b := read(t, iotest.OneByteReader(strings.NewReader(in)))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("lines depend on read sizes:\n%s", diff)
		}
	})
}

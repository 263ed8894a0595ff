package stix

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
)

// FuzzPattern checks that parsing never fails in any other way than a
// SyntaxError inside the pattern, that compiling fails only as
// unsupported or with a bad value, and that what compiles survives a
// round trip through PatternFor.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '198.51.100.1' OR domain-name:value IN ('a.example', 'b.example')]",
		"([file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'] FOLLOWEDBY [x:y[*].z > 5]) WITHIN 300 SECONDS",
		"[url:value = 'http://x.example/it\\'s'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
		"[artifact:payload_bin = b'dGhpcw==' AND NOT x:y = h'ff']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(pattern) || se.Msg == "" {
				t.Fatalf("ParsePattern(%q): %v (want a SyntaxError within the pattern)", pattern, err)
			}
			return
		}
		obs, err := p.Compile()
		if err != nil {
			var ue *UnsupportedError
			var ve *ValueError
			if !errors.As(err, &ue) && !errors.As(err, &ve) {
				t.Fatalf("Compile(%q): %v", pattern, err)
			}
			return
		}
		again, err := CompilePattern(PatternFor(obs))
		if len(obs) == 0 {
			return
		}
		if err != nil {
			t.Fatalf("PatternFor(%v) = %q does not compile: %v", obs, PatternFor(obs), err)
		}
		if diff := cmp.Diff(obs, again); diff != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", pattern, diff)
		}
	})
}

// FuzzImport checks that any document reads to an end, with counts that
// add up and indicators that are valid.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--a1000000-0000-4000-8000-000000000001","pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		inds, res := Import(bytes.NewReader(doc), Options{})
		if res.Imported+len(res.Skipped) > res.Objects {
			t.Fatalf("imported %d + skipped %d > objects %d", res.Imported, len(res.Skipped), res.Objects)
		}
		if (res.Fatal != nil) != (len(res.Errors) > 0 && strings.Contains(res.Errors[len(res.Errors)-1], "bundle")) {
			t.Fatalf("Fatal %v but errors %q", res.Fatal, res.Errors)
		}
		for _, in := range inds {
			if n, err := intel.Normalise(in.Type, in.Value); err != nil || n != in.Value {
				t.Fatalf("indicator %v not normalised: %q %v", in.Observable, n, err)
			}
			if in.ValidFrom.IsZero() || validID(in.ID, "indicator") != nil {
				t.Fatalf("indicator without valid_from or id: %+v", in)
			}
		}
	})
}

package intel

import (
	"bytes"
	"testing"
)

// FuzzNormaliseURL checks that a normalised URL is a fixed point and that
// the reported host lies within it.
func FuzzNormaliseURL(f *testing.F) {
	for _, s := range []string{"HTTP://Evil.Example:80/a/../b/%7euser?q=1#f", "http://[::1]:8080/", "ftp://x/%zz", "http://bücher.example/ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, hs, he, err := AppendURL(nil, []byte(raw))
		if err != nil {
			return
		}
		if hs < 0 || he > len(out) || hs >= he {
			t.Fatalf("host span [%d,%d) outside %q", hs, he, out)
		}
		again, err := NormaliseURL(string(out))
		if err != nil {
			t.Fatalf("normalised %q → %q does not normalise again: %v", raw, out, err)
		}
		if again != string(out) {
			t.Fatalf("not a fixed point: %q → %q → %q", raw, out, again)
		}
	})
}

// FuzzNormalise checks every type: a normalised value normalises to itself.
func FuzzNormalise(f *testing.F) {
	f.Add(uint8(0), "10.1.2.3/8")
	f.Add(uint8(1), "Bücher.Example.")
	f.Add(uint8(3), "A@B.example")
	f.Add(uint8(6), "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
	f.Fuzz(func(t *testing.T, ti uint8, v string) {
		typ := Types[int(ti)%len(Types)]
		n, err := Normalise(typ, v)
		if err != nil {
			return
		}
		again, err := Normalise(typ, n)
		if err != nil || again != n {
			t.Fatalf("%s %q → %q → %q, %v", typ, v, n, again, err)
		}
	})
}

// FuzzScan checks that every token lies within the input and that what
// Extract returns is normalised.
func FuzzScan(f *testing.F) {
	f.Add([]byte(`C:\Windows\cmd.exe SHA256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 [2001:db8::1]:443 hxxp://evil[.]com/x 10.0.0.0/8`))
	f.Fuzz(func(t *testing.T, s []byte) {
		Scan(s, func(k Kind, tok []byte) bool {
			if len(tok) == 0 || !bytes.Contains(s, tok) {
				t.Fatalf("%s token %q not in input", k, tok)
			}
			return true
		})
		for _, o := range Extract(string(s)) {
			n, err := Normalise(o.Type, o.Value)
			if err != nil || n != o.Value {
				t.Fatalf("Extract gave %v, which normalises to %q, %v", o, n, err)
			}
		}
	})
}

package eventlog

import (
	"strings"
	"testing"
)

// FuzzSubject feeds arbitrary stream names, agency codes and subjects to
// the subject parsing: no panics, a derived prefix and subject are always
// valid NATS literals, and Subject/Agency round-trip.
func FuzzSubject(f *testing.F) {
	f.Add("KUBU_EVENTS", "MOH", "kubu.events.MOH")
	f.Add("KT_0A", "a-b_c", "kt.0a.a-b_c.x")
	f.Add("A__B", "M.H", "kubu.events..MOH")
	f.Add("X", "*", "x.>")
	f.Fuzz(func(t *testing.T, stream, agency, subject string) {
		prefix, err := subjectPrefix(stream)
		if err != nil {
			return
		}
		if !validLiteral(prefix) {
			t.Fatalf("stream %q gave prefix %q that is not a literal subject", stream, prefix)
		}
		if s, err := subjectFor(prefix, agency); err == nil {
			if !validLiteral(s) {
				t.Fatalf("agency %q gave invalid subject %q", agency, s)
			}
			if a, ok := agencyOf(prefix, s); !ok || a != agency {
				t.Fatalf("agencyOf(%q) = %q, %v; want %q", s, a, ok, agency)
			}
		}
		if a, ok := agencyOf(prefix, subject); ok {
			if checkSubject(prefix, subject) != nil || !validLiteral(subject) || !strings.HasPrefix(subject, prefix+"."+a) {
				t.Fatalf("agencyOf accepted %q (agency %q) under %q", subject, a, prefix)
			}
		}
	})
}

// validLiteral reports whether s is a NATS subject without wildcards,
// whitespace or empty tokens.
func validLiteral(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n\x00") {
			return false
		}
	}
	return true
}

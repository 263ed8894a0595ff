package intel

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// refang undoes the usual ways threat reports defang indicators.
var refang = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "[DOT]", ".", "(DOT)", ".",
	"[:]", ":", "[://]", "://", "[@]", "@", "[at]", "@", "(at)", "@", "[AT]", "@",
	"hxxps://", "https://", "hxxp://", "http://", "hXXps://", "https://", "hXXp://", "http://",
	"HXXPS://", "HTTPS://", "HXXP://", "HTTP://", "fxp://", "ftp://",
)

// Extract finds the observables in free text (a threat report, a MISP
// freetext feed, a line of a block list), normalised and de-duplicated, in
// the order first seen. Defanged forms (hxxp://, evil[.]example, a[@]b) are
// read. A domain counts only when it ends in a public suffix run by ICANN
// and is longer than the suffix itself, so "cmd.exe" and "co.uk" are not
// domains here (the matcher, which looks names up, has no such filter).
func Extract(text string) []Observable {
	text = refang.Replace(text)
	var out []Observable
	seen := make(map[Observable]bool)
	add := func(t Type, v string) {
		o, err := NewObservable(t, v)
		if err != nil || seen[o] {
			return
		}
		seen[o] = true
		out = append(out, o)
	}
	Scan([]byte(text), func(k Kind, tok []byte) bool {
		s := string(tok)
		switch k {
		case KindIPv4, KindIPv6:
			add(IP, s)
		case KindURL:
			add(URL, s)
		case KindHash:
			add(HashType(len(s)), s)
		case KindEmail:
			at := strings.LastIndexByte(s, '@')
			if PublicDomain(s[at+1:]) {
				add(Email, s)
			}
		case KindDomain:
			if PublicDomain(s) {
				add(Domain, s)
			}
		}
		return true
	})
	return out
}

// PublicDomain reports whether d ends in an ICANN public suffix and is
// longer than that suffix.
func PublicDomain(d string) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	suffix, icann := publicsuffix.PublicSuffix(d)
	return icann && len(d) > len(suffix)
}

package grade

import (
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// SSLLabs grades the HTTPS endpoint's TLS like SSL Labs' rating guide with
// its caps: M for a certificate name mismatch, T for a certificate that is
// not trusted (untrusted issuer, self-signed, expired, not yet valid, SHA-1),
// F for anonymous, export or NULL suites or an RSA key under 1024 bits, C
// for SSL 3, RC4 or 3DES, B for TLS 1.0/1.1, no forward secrecy, no AEAD, an
// incomplete chain or a key under 2048 bits; A+ for an A with HSTS of at
// least six months; A otherwise.
func SSLLabs(r *facts.Result) *facts.SSLLabs {
	t := r.TLS
	if t == nil || t.Certificate == nil {
		return nil
	}
	g := &facts.SSLLabs{Grade: "A", Reasons: []string{}}
	rank := map[string]int{"A+": 0, "A": 1, "B": 2, "C": 3, "F": 4, "T": 5, "M": 6}
	cap := func(grade, why string) {
		g.Reasons = append(g.Reasons, grade+": "+why)
		if rank[grade] > rank[g.Grade] {
			g.Grade = grade
		}
	}
	c := t.Certificate
	if !c.HostnameMatch {
		cap("M", "certificate name mismatch")
	}
	for _, p := range c.Problems {
		switch p {
		case "untrusted-issuer", "self-signed", "expired", "not-yet-valid", "sha1-signature":
			cap("T", "certificate "+p)
		case "chain-incomplete":
			cap("B", "incomplete certificate chain")
		}
	}
	for _, w := range t.Weak {
		switch w {
		case "ssl2", "anon", "export", "null", "des":
			cap("F", w+" cipher suites")
		case "ssl3", "rc4", "3des":
			cap("C", w+" supported")
		case "tls1.0", "tls1.1":
			cap("B", w+" supported")
		case "no-aead":
			cap("B", "no AEAD cipher suite")
		}
	}
	fs := false
	for _, suites := range t.Suites {
		for _, s := range suites {
			if strings.Contains(s, "_ECDHE_") || strings.Contains(s, "_DHE_") || !strings.Contains(s, "_WITH_") {
				fs = true
			}
		}
	}
	if !fs {
		cap("B", "no forward secrecy")
	}
	if bits := rsaBits(c.Key); bits > 0 && bits < 1024 {
		cap("F", "RSA key under 1024 bits")
	} else if bits > 0 && bits < 2048 {
		cap("B", "RSA key under 2048 bits")
	}
	if g.Grade == "A" && r.HSTS != nil && r.HSTS.Valid && r.HSTS.MaxAge >= 15552000 {
		g.Grade = "A+"
		g.Reasons = append(g.Reasons, "A+: HSTS of at least six months and no warnings")
	}
	return g
}

func rsaBits(key string) int {
	if !strings.HasPrefix(key, "rsa-") {
		return 0
	}
	n := 0
	for _, c := range key[4:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

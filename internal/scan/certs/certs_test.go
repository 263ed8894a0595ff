package certs

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan/farm"
)

func TestAnalyze(t *testing.T) {
	ca, err := farm.NewCA("certs")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cases := []struct {
		name     string
		spec     farm.CertSpec
		host     string
		known    bool // pass the intermediate as a known one
		key, sig string
		trusted  bool
		problems []string
	}{
		{"good", farm.CertSpec{Names: []string{"a.test"}}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", true, nil},
		{"rsa-2048", farm.CertSpec{Names: []string{"a.test"}, Key: "rsa-2048"}, "a.test", false, "rsa-2048", "ecdsa-sha256", true, nil},
		{"expired", farm.CertSpec{Names: []string{"a.test"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", false, []string{Expired}},
		{"not yet valid", farm.CertSpec{Names: []string{"a.test"}, NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", false, []string{NotYetValid}},
		{"self-signed", farm.CertSpec{Names: []string{"a.test"}, SelfSigned: true}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", false, []string{SelfSigned}},
		{"wrong host", farm.CertSpec{Names: []string{"other.test"}}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", true, []string{HostnameMismatch}},
		{"chain incomplete", farm.CertSpec{Names: []string{"a.test"}, NoChain: true}, "a.test", true, "ecdsa-p256", "ecdsa-sha256", false, []string{ChainIncomplete}},
		{"chain incomplete, intermediate unknown", farm.CertSpec{Names: []string{"a.test"}, NoChain: true}, "a.test", false, "ecdsa-p256", "ecdsa-sha256", false, []string{UntrustedIssuer}},
		{"rsa-1024", farm.CertSpec{Names: []string{"a.test"}, Key: "rsa-1024"}, "a.test", false, "rsa-1024", "ecdsa-sha256", true, []string{WeakKey}},
		{"sha1", farm.CertSpec{Names: []string{"a.test"}, SHA1: true}, "a.test", false, "ecdsa-p256", "sha1-rsa", false, []string{SHA1Signature}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc, err := ca.Leaf(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			chain, err := ParseChain(tc.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Roots: ca.Pool()}
			if c.known {
				o.Intermediates = []*x509.Certificate{ca.Intermediate}
			}
			f := Analyze(chain, c.host, o)
			if f.Key != c.key || f.Signature != c.sig {
				t.Errorf("key, signature = %s, %s; want %s, %s", f.Key, f.Signature, c.key, c.sig)
			}
			if f.Trusted != c.trusted {
				t.Errorf("trusted = %v, want %v (%s)", f.Trusted, c.trusted, f.TrustError)
			}
			want := c.problems
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(f.Problems, want) {
				t.Errorf("problems = %v, want %v", f.Problems, want)
			}
		})
	}
}

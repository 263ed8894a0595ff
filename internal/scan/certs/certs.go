// Package certs judges a certificate chain as a server served it: key type
// and size, signature algorithm, dates, host-name match, trust against the
// configured roots and whether the chain is complete. It has no dependency on
// the rest of kubu.
package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Facts are the certificate facts of contract §9.
type Facts struct {
	Key           string    `json:"key"`
	Signature     string    `json:"signature"`
	Subject       string    `json:"subject"`
	Issuer        string    `json:"issuer"`
	NotBefore     time.Time `json:"not_before"`
	NotAfter      time.Time `json:"not_after"`
	Trusted       bool      `json:"trusted"`
	HostnameMatch bool      `json:"hostname_match"`
	ChainLength   int       `json:"chain_length"`
	Problems      []string  `json:"problems"`
	TrustError    string    `json:"trust_error,omitempty"`
}

// Problem words.
const (
	Expired          = "expired"
	NotYetValid      = "not-yet-valid"
	SelfSigned       = "self-signed"
	UntrustedIssuer  = "untrusted-issuer"
	HostnameMismatch = "hostname-mismatch"
	ChainIncomplete  = "chain-incomplete"
	WeakKey          = "weak-key"
	SHA1Signature    = "sha1-signature"
)

// Options are the trust settings.
type Options struct {
	Roots *x509.CertPool // nil: the system roots
	// Known intermediates (e.g. a CA bundle's non-root certificates): a chain
	// that verifies only with their help was served incomplete.
	Intermediates []*x509.Certificate
	Now           time.Time
}

// ParseChain parses DER certificates.
func ParseChain(der [][]byte) ([]*x509.Certificate, error) {
	if len(der) == 0 {
		return nil, errors.New("no certificate served")
	}
	out := make([]*x509.Certificate, 0, len(der))
	for i, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Analyze judges chain (leaf first, as served) for host.
func Analyze(chain []*x509.Certificate, host string, o Options) Facts {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	leaf := chain[0]
	f := Facts{
		Key: KeyName(leaf), Signature: SignatureName(leaf.SignatureAlgorithm),
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(), ChainLength: len(chain),
		Problems: []string{},
	}
	add := func(p string) { f.Problems = append(f.Problems, p) }
	if now.After(leaf.NotAfter) {
		add(Expired)
	}
	if now.Before(leaf.NotBefore) {
		add(NotYetValid)
	}
	selfSigned := isSelfSigned(leaf)
	if selfSigned {
		add(SelfSigned)
	}
	f.HostnameMatch = leaf.VerifyHostname(host) == nil
	if !f.HostnameMatch {
		add(HostnameMismatch)
	}
	if weakKey(leaf) {
		add(WeakKey)
	}
	for _, c := range chain {
		if isSelfSigned(c) {
			continue // a root's own signature does not matter
		}
		if c.SignatureAlgorithm == x509.SHA1WithRSA || c.SignatureAlgorithm == x509.ECDSAWithSHA1 || c.SignatureAlgorithm == x509.DSAWithSHA1 || c.SignatureAlgorithm == x509.MD5WithRSA {
			add(SHA1Signature)
			break
		}
	}

	served := x509.NewCertPool()
	for _, c := range chain[1:] {
		served.AddCert(c)
	}
	// Trust is judged at a time inside the leaf's validity, so that an
	// expired certificate from a trusted issuer is "trusted, expired" rather
	// than "untrusted"; the dates are their own problems.
	at := now
	if at.After(leaf.NotAfter) || at.Before(leaf.NotBefore) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	vo := x509.VerifyOptions{Roots: o.Roots, Intermediates: served, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	_, err := leaf.Verify(vo)
	switch {
	case err == nil:
		f.Trusted = true
	case selfSigned:
		f.TrustError = err.Error()
	default:
		f.TrustError = err.Error()
		if len(o.Intermediates) > 0 {
			more := x509.NewCertPool()
			for _, c := range chain[1:] {
				more.AddCert(c)
			}
			for _, c := range o.Intermediates {
				more.AddCert(c)
			}
			vo.Intermediates = more
			if _, err2 := leaf.Verify(vo); err2 == nil {
				add(ChainIncomplete)
				break
			}
		}
		if insecureAlgorithm(err) && contains(f.Problems, SHA1Signature) {
			break // the chain is refused for its SHA-1 signature, already a problem
		}
		add(UntrustedIssuer)
	}
	if f.Trusted && (contains(f.Problems, Expired) || contains(f.Problems, NotYetValid)) {
		f.Trusted = false
	}
	if contains(f.Problems, ChainIncomplete) && !contains(f.Problems, UntrustedIssuer) {
		f.Trusted = false
	}
	return f
}

// insecureAlgorithm says whether verification failed only because a
// signature in the chain uses an algorithm Go no longer accepts.
func insecureAlgorithm(err error) bool {
	var ia x509.InsecureAlgorithmError
	return errors.As(err, &ia) || strings.Contains(err.Error(), "insecure algorithm")
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func weakKey(c *x509.Certificate) bool {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen() < 2048
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize < 256
	}
	return false
}

// KeyName names the leaf's key: rsa-2048, ecdsa-p256, ed25519.
func KeyName(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return fmt.Sprintf("ecdsa-p%d", k.Curve.Params().BitSize)
	case ed25519.PublicKey:
		return "ed25519"
	}
	return "unknown"
}

// SignatureName names a signature algorithm: sha256-rsa, ecdsa-sha256 …
func SignatureName(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.MD5WithRSA:
		return "md5-rsa"
	case x509.SHA1WithRSA:
		return "sha1-rsa"
	case x509.SHA256WithRSA:
		return "sha256-rsa"
	case x509.SHA384WithRSA:
		return "sha384-rsa"
	case x509.SHA512WithRSA:
		return "sha512-rsa"
	case x509.SHA256WithRSAPSS:
		return "sha256-rsa-pss"
	case x509.SHA384WithRSAPSS:
		return "sha384-rsa-pss"
	case x509.SHA512WithRSAPSS:
		return "sha512-rsa-pss"
	case x509.ECDSAWithSHA1:
		return "ecdsa-sha1"
	case x509.ECDSAWithSHA256:
		return "ecdsa-sha256"
	case x509.ECDSAWithSHA384:
		return "ecdsa-sha384"
	case x509.ECDSAWithSHA512:
		return "ecdsa-sha512"
	case x509.PureEd25519:
		return "ed25519"
	case x509.DSAWithSHA1:
		return "dsa-sha1"
	case x509.DSAWithSHA256:
		return "dsa-sha256"
	}
	return "unknown"
}

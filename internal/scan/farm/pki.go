// Package farm builds a loopback farm of scan targets for tests and
// benchmarks: a private PKI, a DNSSEC-signing authoritative DNS server, TLS,
// HTTP and SMTP servers on many 127.x.y.z addresses, and hostile servers.
// Nothing here listens beyond the loopback range.
package farm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// CA is a root with one intermediate.
type CA struct {
	Root         *x509.Certificate
	RootKey      crypto.Signer
	Intermediate *x509.Certificate
	InterKey     crypto.Signer
}

var serial atomic.Int64

// NewCA makes a root and an intermediate (ECDSA P-256, SHA-256).
func NewCA(name string) (*CA, error) {
	rk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rt := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name + " Root", Organization: []string{"kubu farm"}},
		NotBefore: now.Add(-6 * 365 * 24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, rt, rt, &rk.PublicKey, rk)
	if err != nil {
		return nil, err
	}
	root, _ := x509.ParseCertificate(der)
	ik, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	it := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name + " Intermediate", Organization: []string{"kubu farm"}},
		NotBefore: now.Add(-5 * 365 * 24 * time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, MaxPathLenZero: true,
	}
	der, err = x509.CreateCertificate(rand.Reader, it, root, &ik.PublicKey, rk)
	if err != nil {
		return nil, err
	}
	inter, _ := x509.ParseCertificate(der)
	return &CA{Root: root, RootKey: rk, Intermediate: inter, InterKey: ik}, nil
}

// Pool returns a pool holding the root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root)
	return p
}

// RootPEM returns the root in PEM.
func (ca *CA) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Root.Raw})
}

// IntermediatePEM returns the intermediate in PEM.
func (ca *CA) IntermediatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Intermediate.Raw})
}

// CertSpec says how to make a leaf certificate.
type CertSpec struct {
	Names      []string // DNS names (and IP addresses) in the SAN
	Key        string   // "ecdsa-p256" (default), "ecdsa-p384", "rsa-1024", "rsa-2048", "rsa-3072"
	SHA1       bool     // sign with SHA-1 (needs an RSA issuer: the leaf is issued by a one-off RSA intermediate)
	NotBefore  time.Time
	NotAfter   time.Time
	SelfSigned bool
	NoChain    bool // serve the leaf without its intermediate
}

var rsaKeys sync.Map // kind → *rsa.PrivateKey

// key returns a fresh key of the named type; RSA keys are cached per type
// because generating them is slow and tests only care about their size.
func key(kind string) (crypto.Signer, error) {
	switch kind {
	case "", "ecdsa-p256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-p384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "rsa-1024", "rsa-2048", "rsa-3072":
		if k, ok := rsaKeys.Load(kind); ok {
			return k.(crypto.Signer), nil
		}
		bits := map[string]int{"rsa-1024": 1024, "rsa-2048": 2048, "rsa-3072": 3072}[kind]
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		rsaKeys.Store(kind, k)
		return k, nil
	}
	return nil, fmt.Errorf("unknown key type %q", kind)
}

// Leaf issues a certificate and returns it ready to serve.
func (ca *CA) Leaf(spec CertSpec) (tls.Certificate, error) {
	k, err := key(spec.Key)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	if spec.NotBefore.IsZero() {
		spec.NotBefore = now.Add(-24 * time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = now.Add(90 * 24 * time.Hour)
	}
	t := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: first(spec.Names)},
		NotBefore: spec.NotBefore, NotAfter: spec.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range spec.Names {
		if ip := net.ParseIP(n); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, n)
		}
	}
	issuer, issuerKey := ca.Intermediate, ca.InterKey
	chain := [][]byte{ca.Intermediate.Raw}
	if spec.SHA1 {
		// An RSA intermediate under the same root, so the SHA-1 signature is on the leaf.
		rk, err := key("rsa-2048")
		if err != nil {
			return tls.Certificate{}, err
		}
		it := &x509.Certificate{
			SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: "kubu farm RSA Intermediate"},
			NotBefore: now.Add(-5 * 365 * 24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, it, ca.Root, rk.Public(), ca.RootKey)
		if err != nil {
			return tls.Certificate{}, err
		}
		issuer, _ = x509.ParseCertificate(der)
		issuerKey = rk
		chain = [][]byte{der}
		t.SignatureAlgorithm = x509.SHA1WithRSA
	}
	if spec.SelfSigned {
		t.Subject.Organization = []string{"self"}
		issuer, issuerKey, chain = t, k, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, t, issuer, k.Public(), issuerKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, _ := x509.ParseCertificate(der)
	c := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}
	if !spec.NoChain {
		c.Certificate = append(c.Certificate, chain...)
	}
	return c, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

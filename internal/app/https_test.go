package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
)

// selfSigned writes a certificate for 127.0.0.1 and kubu.test and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubu.test"}, DNSNames: []string{"kubu.test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestHTTPSListener: --tls-addr serves kubu over HTTPS (HTTP/2, HSTS on
// every answer, TLS 1.2+ with AEAD suites only), and --addr then sends
// browsers to it while the health check and shippers stay on plain HTTP.
func TestHTTPSListener(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cfg := &config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile,
		EventMaxAge: time.Hour, EventMaxBytes: 1 << 30, EventStream: "KUBU_EVENTS", IntakeMaxBody: 32 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { ready <- addr }) }()
	defer func() { cancel(); <-done }()
	plain := <-ready
	secure := a.TLSListenAddr()
	_, tlsPort, _ := net.SplitHostPort(secure)

	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := c.Get("https://" + secure + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" || resp.ProtoMajor != 2 {
		t.Fatalf("https /login: %d %s HSTS %q", resp.StatusCode, resp.Proto, resp.Header.Get("Strict-Transport-Security"))
	}
	resp, err = c.Get("http://" + plain + "/findings?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "https://127.0.0.1:" + tlsPort + "/findings?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP page: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, err = c.Get("http://" + plain + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("plain /healthz: %d", resp.StatusCode)
	}
	resp, err = c.Post("http://"+plain+"/services/collector/event", "application/json", strings.NewReader(`{"event":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("plain intake without a token: %d, want HEC's 401 (not a redirect)", resp.StatusCode)
	}
	// Weak protocols and suites are refused.
	for name, tc := range map[string]*tls.Config{
		"TLS 1.1":       {MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10},
		"CBC suite":     {MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}},
		"RSA key exch.": {MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}},
	} {
		tc.RootCAs = pool
		conn, err := tls.Dial("tcp", secure, tc)
		if err == nil {
			conn.Close()
			t.Errorf("%s: handshake succeeded", name)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conn, err := tls.Dial("tcp", secure, &tls.Config{RootCAs: pool, MinVersion: v, MaxVersion: v})
		if err != nil {
			t.Errorf("TLS %x: %v", v, err)
			continue
		}
		conn.Close()
	}
}

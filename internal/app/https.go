package app

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/intake"
)

// tlsSuites are the TLS 1.2 suites kubu's listeners offer: forward-secret
// (ECDHE) AEAD suites only — no CBC, no RSA key exchange, no 3DES or RC4
// (TLS 1.3 suites are all AEAD and not configurable). Checked with
// testssl.sh by scripts/testssl.sh (docs/security-grades.md).
var tlsSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverTLS is the TLS configuration of kubu's listeners (HTTPS and syslog
// over TLS): TLS 1.2 and 1.3, the suites above.
func serverTLS(cfg *config.Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, CipherSuites: tlsSuites}, nil
}

// hstsValue asks browsers to use HTTPS only, for two years, on subdomains
// too (kubu's pages never need plain HTTP).
const hstsValue = "max-age=63072000; includeSubDomains"

// withHSTS sets Strict-Transport-Security on every HTTPS answer.
func withHSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hstsValue)
		next.ServeHTTP(w, r)
	})
}

// httpsRedirect is --addr's handler when --tls-addr is set: browsers are
// sent to HTTPS (301, same path), while the health check, metrics and log
// shippers (intake paths, or intake credentials) are still served, so
// plain-HTTP shippers on an internal network and the container health
// check keep working.
func (a *App) httpsRedirect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, tlsPort, _ := net.SplitHostPort(a.TLSListenAddr()) // the bound port (--tls-addr may say :0)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" || intake.IsIntakePath(r.URL.Path) || intake.HasCredential(r) {
			next.ServeHTTP(w, r)
			return
		}
		target := ""
		if strings.HasPrefix(a.Cfg.PublicURL, "https://") {
			target = a.Cfg.PublicURL + r.URL.RequestURI()
		} else {
			host := r.Host
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			if tlsPort != "443" {
				host += ":" + tlsPort
			}
			target = "https://" + host + r.URL.RequestURI()
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}

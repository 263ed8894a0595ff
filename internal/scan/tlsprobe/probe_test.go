package tlsprobe

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// serve runs a crypto/tls server on loopback that completes handshakes.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return ln.Addr().String()
}

func names(ids []uint16) []string {
	var out []string
	for _, id := range ids {
		out = append(out, SuiteName(id))
	}
	return out
}

func TestProberAgainstGoServers(t *testing.T) {
	ca, err := farm.NewCA("probe")
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ca.Leaf(farm.CertSpec{Names: []string{"probe.test"}})
	rsa, err := ca.Leaf(farm.CertSpec{Names: []string{"probe.test"}, Key: "rsa-2048"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		cfg      *tls.Config
		versions []string
		suites   map[string][]string // version → exact suite set
		groups   []string
	}{
		{
			name:     "modern defaults",
			cfg:      &tls.Config{Certificates: []tls.Certificate{ec}},
			versions: []string{"tls1.3", "tls1.2"},
			suites: map[string][]string{
				"tls1.3": {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"},
			},
		},
		{
			name: "tls1.0 only with 3DES and RC4 (static RSA)",
			cfg: &tls.Config{Certificates: []tls.Certificate{rsa}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
				CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}},
			versions: []string{"tls1.0"},
			suites: map[string][]string{
				"tls1.0": {"TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
			},
			groups: []string{"x25519", "secp256r1", "secp384r1", "secp521r1"},
		},
		{
			name: "tls1.2 only, one curve",
			cfg: &tls.Config{Certificates: []tls.Certificate{ec}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, CurvePreferences: []tls.CurveID{tls.CurveP256}},
			versions: []string{"tls1.2"},
			suites:   map[string][]string{"tls1.2": {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}},
			groups:   []string{"secp256r1"},
		},
		{
			name:     "tls1.3 only, two groups",
			cfg:      &tls.Config{Certificates: []tls.Certificate{ec}, MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP384}},
			versions: []string{"tls1.3"},
			groups:   []string{"x25519", "secp384r1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := serve(t, c.cfg)
			p := &Prober{ServerName: "probe.test", Timeout: 3 * time.Second, Dial: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			}}
			res, err := p.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var vs []string
			for _, v := range res.Versions {
				vs = append(vs, VersionName(v))
			}
			if !slices.Equal(vs, c.versions) {
				t.Errorf("versions = %v, want %v", vs, c.versions)
			}
			for ver, want := range c.suites {
				var id uint16
				for _, v := range res.Versions {
					if VersionName(v) == ver {
						id = v
					}
				}
				got := names(res.Suites[id])
				slices.Sort(got)
				w := slices.Clone(want)
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Errorf("%s suites = %v, want %v", ver, got, w)
				}
			}
			if c.groups != nil {
				var gs []string
				for _, g := range res.Groups {
					gs = append(gs, GroupName(g))
				}
				if !slices.Equal(gs, c.groups) {
					t.Errorf("groups = %v, want %v", gs, c.groups)
				}
			}
			if slices.ContainsFunc(res.Versions, func(v uint16) bool { return v < TLS13 }) && len(res.Certificates) == 0 {
				t.Errorf("no certificate chain collected from a TLS ≤ 1.2 handshake")
			}
			t.Logf("%d probes", res.Probes)
		})
	}
}

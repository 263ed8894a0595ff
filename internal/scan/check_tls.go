package scan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"

	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scan/tlsprobe"
)

// errNothingListens means the port is closed: the part does not apply.
var errNothingListens = errors.New("nothing listens")

// checkTLS probes NAME:443.
func (t *target) checkTLS(ctx context.Context) error {
	ips, err := t.s.addresses(ctx, t.name)
	if err != nil {
		return err
	}
	if len(ips) == 0 {
		return nil // IPv6-only names are not probed (the prober dials IPv4)
	}
	ip := ips[0]
	dial := func(ctx context.Context) (net.Conn, error) { return t.s.dialIP(ctx, ip, t.s.o.Ports.HTTPS) }
	f, err := t.s.tlsFacts(ctx, t.name, dial, nil)
	if errors.Is(err, errNothingListens) {
		return nil
	}
	if f != nil {
		f.Address = net.JoinHostPort(ip.String(), "443")
		t.r.TLS = f
	}
	return err
}

// tlsFacts enumerates one TLS endpoint and judges its certificate.
func (s *Scanner) tlsFacts(ctx context.Context, host string, dial tlsprobe.Dialer, served []*x509.Certificate) (*facts.TLS, error) {
	// One plain connect first: a closed port means the part does not apply.
	c, err := dial(ctx)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errNothingListens
		}
		return nil, err
	}
	c.Close()
	p := &tlsprobe.Prober{Dial: dial, ServerName: host, Timeout: s.o.Timeouts.Handshake}
	res, err := p.Run(ctx)
	f := &facts.TLS{Protocols: []string{}, Suites: map[string][]string{}, Groups: []string{}, Weak: []string{}}
	if res != nil {
		f.Probes = res.Probes
		fill(f, res)
	}
	if err != nil {
		return f, err
	}
	if len(res.Versions) == 0 {
		return f, errors.New("the server accepted no TLS version")
	}
	chain := served
	if len(chain) == 0 && res.Certificates != nil {
		chain, err = certs.ParseChain(res.Certificates)
		if err != nil {
			return f, fmt.Errorf("certificate: %w", err)
		}
	}
	if len(chain) == 0 {
		chain, err = s.handshakeChain(ctx, host, dial)
		if err != nil {
			return f, fmt.Errorf("certificate: %w", err)
		}
	}
	cf := certs.Analyze(chain, host, certs.Options{Roots: s.o.Roots, Intermediates: s.o.Intermediates, Now: s.o.Now()})
	f.Certificate = &cf
	return f, nil
}

// fill copies the prober's answer into the facts, with the weak flags.
func fill(f *facts.TLS, res *tlsprobe.Result) {
	weak := map[string]bool{}
	aead := false
	for _, v := range res.Versions {
		name := tlsprobe.VersionName(v)
		f.Protocols = append(f.Protocols, name)
		switch v {
		case tlsprobe.SSL20, tlsprobe.SSL30, tlsprobe.TLS10, tlsprobe.TLS11:
			weak[name] = true
		}
		if v == tlsprobe.SSL20 {
			f.Suites[name] = res.SSL2Ciphers
			continue
		}
		for _, id := range res.Suites[v] {
			sn := tlsprobe.SuiteName(id)
			f.Suites[name] = append(f.Suites[name], sn)
			for _, w := range tlsprobe.Weaknesses(sn) {
				weak[w] = true
			}
			if tlsprobe.AEAD(sn) {
				aead = true
			}
		}
	}
	slices.Reverse(f.Protocols) // oldest first, as the contract lists them
	if len(res.Versions) > 0 && !aead {
		weak["no-aead"] = true
	}
	for _, w := range []string{"ssl2", "ssl3", "tls1.0", "tls1.1", "3des", "rc4", "cbc", "static-rsa", "no-aead", "null", "export", "anon", "des"} {
		if weak[w] {
			f.Weak = append(f.Weak, w)
		}
	}
	for _, g := range res.Groups {
		f.Groups = append(f.Groups, tlsprobe.GroupName(g))
	}
}

// handshakeChain completes a crypto/tls handshake to read the chain (for
// servers that speak only TLS 1.3, whose certificates are encrypted).
func (s *Scanner) handshakeChain(ctx context.Context, host string, dial tlsprobe.Dialer) ([]*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeouts.Handshake)
	defer cancel()
	c, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc.ConnectionState().PeerCertificates, nil
}

package scan

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/kubu-gov/kubu/internal/scan/dnssec"
)

// The settings kubu scan and kubu serve share, read from files and
// strings the same way by both.

// LoadCAs reads PEM files: self-signed CA certificates become roots, other
// CA certificates known intermediates (for Options.Roots and
// Options.Intermediates).
func LoadCAs(files []string) (*x509.CertPool, []*x509.Certificate, error) {
	roots := x509.NewCertPool()
	var inters []*x509.Certificate
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f, err)
			}
			n++
			if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil {
				roots.AddCert(c)
			} else {
				inters = append(inters, c)
			}
		}
	}
	if n == 0 {
		return nil, nil, errors.New("no certificate in " + strings.Join(files, ", "))
	}
	return roots, inters, nil
}

// LoadTrustAnchors reads DNSSEC trust anchors (DS or DNSKEY records in
// zone-file form) from files.
func LoadTrustAnchors(files []string) ([]dns.RR, error) {
	var out []dns.RR
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rrs, err := dnssec.ParseAnchors(bytes.NewReader(b), f)
		if err != nil {
			return nil, err
		}
		out = append(out, rrs...)
	}
	return out, nil
}

// ParsePorts reads "http=8080,https=8443,smtp=2525" (any of the three) into
// p: test farms serve on unprivileged ports.
func ParsePorts(s string, p *Ports) error {
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q is not NAME=PORT", kv)
		}
		switch k {
		case "http":
			p.HTTP = n
		case "https":
			p.HTTPS = n
		case "smtp":
			p.SMTP = n
		default:
			return fmt.Errorf("unknown service %q (http, https or smtp)", k)
		}
	}
	return nil
}

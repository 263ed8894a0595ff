package scan

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scan/mailauth"
	"github.com/kubu-gov/kubu/internal/scan/smtp"
	"github.com/kubu-gov/kubu/internal/scan/tlsprobe"
)

// checkMail checks STARTTLS (with full TLS facts) on every MX, SPF for each
// MX's address and DMARC.
func (t *target) checkMail(ctx context.Context) error {
	m := &facts.Mail{MX: t.mx, STARTTLS: map[string]bool{}, TLS: map[string]*facts.TLS{}, DNSSEC: map[string]string{}}
	t.r.Mail = m
	res := resolver{t.s}
	every := true
	var firstErr error
	mxIP := map[string]net.IP{}
	for _, mx := range t.mx {
		if a, err := t.s.val.Lookup(ctx, mx, dns.TypeA); err == nil {
			m.DNSSEC[mx] = string(a.Status)
		}
		ips, err := t.s.addresses(ctx, mx)
		if err != nil || len(ips) == 0 {
			m.STARTTLS[mx] = false
			every = false
			if err == nil {
				err = errors.New(mx + " has no IPv4 address")
			}
			t.fail("mail.starttls", err)
			continue
		}
		ip := ips[0]
		mxIP[mx] = ip
		plain := func(ctx context.Context) (net.Conn, error) { return t.s.dialIP(ctx, ip, t.s.o.Ports.SMTP) }
		ok, err := t.s.startTLS(ctx, mx, plain)
		m.STARTTLS[mx] = ok
		if !ok {
			every = false
		}
		if err != nil {
			t.fail("mail.starttls", errors.New(mx+": "+err.Error()))
			continue
		}
		if !ok {
			continue
		}
		dial := func(ctx context.Context) (net.Conn, error) {
			c, _, err := smtp.StartTLS(ctx, plain, t.s.o.HELO, t.s.o.Timeouts.Handshake)
			return c, err
		}
		f, err := t.s.tlsFacts(ctx, mx, dial, nil)
		if f != nil {
			f.Address = net.JoinHostPort(ip.String(), "25")
			m.TLS[mx] = f
		}
		if err != nil && firstErr == nil {
			firstErr = errors.New(mx + ": " + err.Error())
		}
	}
	m.STARTTLSEveryMX = every && len(t.mx) > 0

	// SPF: the domain's record, evaluated for each MX's address.
	spf := &facts.SPF{Results: map[string]string{}}
	m.SPF = spf
	rec, err := mailauth.Record(ctx, res, t.name)
	switch {
	case err != nil && rec != "":
		spf.Record, spf.Error = &rec, err.Error()
		spf.ResultForMX = mailauth.PermError
	case err != nil:
		spf.Error = err.Error()
		spf.ResultForMX = mailauth.TempError
	case rec == "":
		spf.ResultForMX = mailauth.None
	default:
		spf.Record = &rec
		if _, perr := mailauth.ParseSPF(rec); perr != nil {
			spf.Error = perr.Error()
		} else {
			spf.Valid = true
		}
		worst := ""
		for _, mx := range t.mx {
			ip, ok := mxIP[mx]
			if !ok {
				continue
			}
			r := mailauth.CheckHost(ctx, res, ip, t.name, "")
			spf.Results[ip.String()] = r.Result
			if r.Result == mailauth.PermError {
				spf.Valid = false
				spf.Error = r.Reason
			}
			if worst == "" || worst == mailauth.Pass {
				worst = r.Result
			}
		}
		if worst == "" {
			worst = mailauth.None
		}
		spf.ResultForMX = worst
	}

	// DMARC at _dmarc.NAME, else at the organizational domain.
	m.DMARC = t.dmarc(ctx, res)
	return firstErr
}

// dmarc finds and parses the DMARC record that applies to the name.
func (t *target) dmarc(ctx context.Context, res resolver) *facts.DMARC {
	dm := &facts.DMARC{RUA: []string{}}
	domains := []string{t.name}
	if org, err := publicsuffix.EffectiveTLDPlusOne(t.name); err == nil && org != t.name {
		domains = append(domains, org)
	}
	for _, d := range domains {
		txts, err := res.TXT(ctx, "_dmarc."+d)
		if err != nil {
			dm.Error = err.Error()
			return dm
		}
		var found []string
		for _, s := range txts {
			if mailauth.IsDMARC(s) {
				found = append(found, s)
			}
		}
		if len(found) == 0 {
			continue
		}
		dm.Domain, dm.Record = d, &found[0]
		if len(found) > 1 {
			dm.Error = "more than one DMARC record at _dmarc." + d
			return dm
		}
		rec, err := mailauth.ParseDMARC(found[0])
		if err != nil {
			dm.Error = err.Error()
			return dm
		}
		dm.P, dm.Pct, dm.RUA = &rec.Policy, rec.Percent, rec.RUA
		if rec.SubdomainPolicy != "" {
			dm.SP = &rec.SubdomainPolicy
		}
		dm.Policy = dm.P
		if d != t.name && dm.SP != nil {
			dm.Policy = dm.SP
		}
		return dm
	}
	return dm
}

// startTLS says whether mx offers STARTTLS and completes a TLS handshake
// after it.
func (s *Scanner) startTLS(ctx context.Context, mx string, plain tlsprobe.Dialer) (bool, error) {
	c, _, err := smtp.StartTLS(ctx, plain, s.o.HELO, s.o.Timeouts.Handshake)
	if errors.Is(err, smtp.ErrNoSTARTTLS) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer c.Close()
	hctx, cancel := context.WithTimeout(ctx, s.o.Timeouts.Handshake)
	defer cancel()
	var all []uint16
	for _, cs := range tls.CipherSuites() {
		all = append(all, cs.ID)
	}
	for _, cs := range tls.InsecureCipherSuites() {
		all = append(all, cs.ID)
	}
	tc := tls.Client(c, &tls.Config{ServerName: mx, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, CipherSuites: all})
	if err := tc.HandshakeContext(hctx); err != nil {
		return false, errors.New("STARTTLS offered but the TLS handshake failed: " + err.Error())
	}
	return true, nil
}

// resolver adapts the scanner's DNS to SPF's needs.
type resolver struct{ s *Scanner }

func (r resolver) msg(ctx context.Context, name string, t uint16) (*dns.Msg, error) {
	return r.s.dns.Query(ctx, name, t)
}

func (r resolver) TXT(ctx context.Context, name string) ([]string, error) {
	m, err := r.msg(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range m.Answer {
		if v, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(v.Txt, ""))
		}
	}
	return out, nil
}

func (r resolver) IP(ctx context.Context, name string) ([]net.IP, error) {
	var out []net.IP
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		m, err := r.msg(ctx, name, t)
		if err != nil {
			return nil, err
		}
		for _, rr := range m.Answer {
			switch v := rr.(type) {
			case *dns.A:
				out = append(out, v.A)
			case *dns.AAAA:
				out = append(out, v.AAAA)
			}
		}
	}
	return out, nil
}

func (r resolver) MX(ctx context.Context, name string) ([]string, error) {
	m, err := r.msg(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range m.Answer {
		if v, ok := rr.(*dns.MX); ok {
			out = append(out, v.Mx)
		}
	}
	return out, nil
}

func (r resolver) PTR(ctx context.Context, ip net.IP) ([]string, error) {
	rev, err := dns.ReverseAddr(ip.String())
	if err != nil {
		return nil, err
	}
	m, err := r.msg(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range m.Answer {
		if v, ok := rr.(*dns.PTR); ok {
			out = append(out, v.Ptr)
		}
	}
	return out, nil
}

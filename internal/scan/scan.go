// Package scan is kubu's external scanner: for a name it measures DNS and
// DNSSEC, HTTP and HTTPS on the apex and www, redirects, HSTS, security
// headers, every TLS version, suite and group offered, the certificate chain
// as served, SMTP STARTTLS on every MX with the same TLS facts, SPF, DMARC
// and security.txt; then grades the facts under several standards (package
// grade). It is standalone like internal/sigma: it imports nothing else from
// kubu.
//
//	s, err := scan.New(scan.Options{Resolver: "127.0.0.1:53"})
//	res, err := s.Scan(ctx, "example.gov")
package scan

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/kubu-gov/kubu/internal/scan/dnssec"
	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scan/grade"
	"github.com/kubu-gov/kubu/internal/scan/web"
)

// Result is one name's scan (contract §9).
type Result = facts.Result

// Timeouts bound each step.
type Timeouts struct {
	DNS       time.Duration // one query; default 3 s
	Handshake time.Duration // one TCP connect + TLS/SMTP exchange; default 5 s
	HTTP      time.Duration // one HTTP request; default 10 s
	Check     time.Duration // one whole check (web, tls, mail, …); default 60 s
}

// Ports are where services are reached; tests move them off the
// privileged ports. Zero means the standard port.
type Ports struct {
	HTTP, HTTPS, SMTP int
}

// Options configure a Scanner.
type Options struct {
	Resolver      string         // host:port of the DNS server every query goes to; default from /etc/resolv.conf
	Roots         *x509.CertPool // trusted roots; nil means the system's
	Intermediates []*x509.Certificate
	TrustAnchors  []dns.RR // extra DNSSEC anchors beside the root's
	Timeouts      Timeouts
	Concurrency   int // names scanned at once; default 16
	PerAddress    int // connections at once to one IP address; default 2
	Ports         Ports
	HELO          string // EHLO name; default "kubu-scan.invalid"
	Now           func() time.Time
	// Refuse, when set, is asked before every connection (to the name, to
	// the hosts its redirects and MX records point at); a non-nil error
	// refuses it, and the check that wanted it reports that error. A
	// server uses it to keep the scanner off its own networks.
	Refuse func(ip net.IP) error
}

// Scanner scans names.
type Scanner struct {
	o     Options
	dns   *dnssec.Client
	val   *dnssec.Validator
	fetch *web.Fetcher

	mu    sync.Mutex
	slots map[string]*addrSlot // politeness: connections per address, while any is wanted
}

// New checks the options and returns a Scanner.
func New(o Options) (*Scanner, error) {
	if o.Resolver == "" {
		r, err := systemResolver()
		if err != nil {
			return nil, err
		}
		o.Resolver = r
	}
	if _, _, err := net.SplitHostPort(o.Resolver); err != nil {
		return nil, fmt.Errorf("resolver %q: want HOST:PORT", o.Resolver)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeouts.DNS, 3*time.Second)
	def(&o.Timeouts.Handshake, 5*time.Second)
	def(&o.Timeouts.HTTP, 10*time.Second)
	def(&o.Timeouts.Check, 60*time.Second)
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.PerAddress <= 0 {
		o.PerAddress = 2
	}
	if o.Ports.HTTP == 0 {
		o.Ports.HTTP = 80
	}
	if o.Ports.HTTPS == 0 {
		o.Ports.HTTPS = 443
	}
	if o.Ports.SMTP == 0 {
		o.Ports.SMTP = 25
	}
	if o.HELO == "" {
		o.HELO = "kubu-scan.invalid"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Scanner{o: o, slots: map[string]*addrSlot{}}
	s.dns = dnssec.NewClient(o.Resolver, o.Timeouts.DNS)
	s.val = dnssec.NewValidator(s.dns, o.TrustAnchors)
	s.val.Now = o.Now
	s.fetch = web.New(web.Options{Dial: s.dial, Timeout: o.Timeouts.HTTP, Origin: "https://kubu-scan.invalid"})
	return s, nil
}

// Close releases the scanner's idle connections.
func (s *Scanner) Close() { s.fetch.Close() }

// Scan measures and grades one name.
func (s *Scanner) Scan(ctx context.Context, name string) (*Result, error) {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if _, ok := dns.IsDomainName(name); !ok || name == "" || net.ParseIP(name) != nil {
		return nil, fmt.Errorf("%q is not a host name", name)
	}
	start := time.Now()
	r := &Result{Name: name, ScannedAt: s.o.Now().UTC(), Findings: []facts.Finding{}, Errors: []facts.CheckError{}}
	t := &target{s: s, r: r, name: name}
	t.checkDNS(ctx)
	if r.DNS != nil && len(r.DNS.Addresses) > 0 {
		t.run(ctx, "web", t.checkWeb)
		t.run(ctx, "tls", t.checkTLS)
		t.run(ctx, "security.txt", t.checkSecurityTxt)
	}
	if len(t.mx) > 0 {
		t.run(ctx, "mail", t.checkMail)
	}
	grade.Apply(r)
	r.Seconds = time.Since(start).Seconds()
	return r, ctx.Err()
}

// ScanAll scans names with bounded concurrency and hands each result to
// emit in the order of names.
func (s *Scanner) ScanAll(ctx context.Context, names []string, emit func(*Result, error)) {
	type slot struct {
		r    *Result
		err  error
		done chan struct{}
	}
	slots := make([]*slot, len(names))
	for i := range slots {
		slots[i] = &slot{done: make(chan struct{})}
	}
	sem := make(chan struct{}, s.o.Concurrency)
	go func() {
		for i, n := range names {
			sem <- struct{}{}
			go func(i int, n string) {
				defer func() { <-sem }()
				slots[i].r, slots[i].err = s.Scan(ctx, n)
				close(slots[i].done)
			}(i, n)
		}
	}()
	for _, sl := range slots {
		<-sl.done
		emit(sl.r, sl.err)
	}
}

// target is one name being scanned.
type target struct {
	s    *Scanner
	r    *Result
	name string
	mx   []string
	txt  []string
}

// run runs one check under its time limit and records its failure.
func (t *target) run(ctx context.Context, check string, f func(ctx context.Context) error) {
	cctx, cancel := context.WithTimeout(ctx, t.s.o.Timeouts.Check)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(cctx) }()
	var err error
	select {
	case err = <-done:
	case <-cctx.Done():
		// Every step of a check runs under cctx or its own deadline, so it
		// ends soon after cctx does; wait for it (the result is shared)
		// but never longer than one more step.
		select {
		case err = <-done:
		case <-time.After(t.s.o.Timeouts.Handshake + t.s.o.Timeouts.HTTP):
			err = fmt.Errorf("did not finish within %s", t.s.o.Timeouts.Check)
		}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("did not finish within %s: %w", t.s.o.Timeouts.Check, err)
		}
		t.fail(check, err)
	}
}

func (t *target) fail(check string, err error) {
	t.r.Errors = append(t.r.Errors, facts.CheckError{Check: check, Error: oneLine(err.Error())})
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// systemResolver reads the first nameserver of /etc/resolv.conf.
func systemResolver() (string, error) {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("no resolver given and /etc/resolv.conf unreadable: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", errors.New("no resolver given and none in /etc/resolv.conf")
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}

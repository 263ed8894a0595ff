package farm

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Zones of the farm: every target lives under one of them.
const (
	Top      = "kubu.test."
	Signed   = "signed.kubu.test."
	Unsigned = "unsigned.kubu.test."
	Broken   = "broken.kubu.test."
)

// Farm is a set of loopback targets with their DNS and PKI.
type Farm struct {
	CA    *CA
	DNS   *DNS
	Ports struct{ HTTP, HTTPS, SMTP int }

	mu      sync.Mutex
	next    int
	closers []func()
	byIP    map[string][]func() // the servers on each target address
	base    [2]byte             // 127.base[0].base[1]>>… addresses
}

// New starts a farm: the PKI, the DNS server with the four zones, and
// fixed ports for HTTP, HTTPS and SMTP shared by every target address.
// block picks the second octet of the farm's addresses (127.block.x.y), so
// that tests running at once do not share addresses.
func New(block byte) (*Farm, error) {
	f := &Farm{base: [2]byte{block, 0}, byIP: map[string][]func(){}}
	ca, err := NewCA("kubu farm")
	if err != nil {
		return nil, err
	}
	f.CA = ca
	d, err := NewDNS(fmt.Sprintf("127.%d.255.53:0", block))
	if err != nil {
		return nil, err
	}
	f.DNS = d
	f.closers = append(f.closers, d.Close)
	if _, err := d.AddZone(Top, true, false); err != nil {
		return nil, err
	}
	for _, z := range []struct {
		name           string
		signed, broken bool
	}{{Signed, true, false}, {Unsigned, false, false}, {Broken, false, true}} {
		if _, err := d.AddZone(z.name, z.signed, z.broken); err != nil {
			return nil, err
		}
	}
	// Fixed ports: whatever the first address gets.
	for _, p := range []*int{&f.Ports.HTTP, &f.Ports.HTTPS, &f.Ports.SMTP} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.%d.255.1:0", block))
		if err != nil {
			return nil, err
		}
		*p = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	return f, nil
}

// Close stops everything.
func (f *Farm) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// AnchorText returns the top zone's DNSKEY as a zone-file line.
func (f *Farm) AnchorText() string { return f.DNS.Anchor(Top).String() + "\n" }

// Anchors returns the top zone's key as a trust anchor.
func (f *Farm) Anchors() []dns.RR { return []dns.RR{f.DNS.Anchor(Top)} }

// Roots returns the farm's root pool.
func (f *Farm) Roots() *x509.CertPool { return f.CA.Pool() }

// NewIP hands out the next loopback address of the farm.
func (f *Farm) NewIP() net.IP {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	n := f.next
	return net.IPv4(127, f.base[0], byte(n/250), byte(n%250+1))
}

func (f *Farm) onClose(fn func()) {
	f.mu.Lock()
	f.closers = append(f.closers, fn)
	f.mu.Unlock()
}

// onCloseIP registers fn both for Close and for stopping the target on ip.
func (f *Farm) onCloseIP(ip net.IP, fn func()) {
	f.mu.Lock()
	f.closers = append(f.closers, fn)
	f.byIP[ip.String()] = append(f.byIP[ip.String()], fn)
	f.mu.Unlock()
}

// stopIP stops every server on ip.
func (f *Farm) stopIP(ip net.IP) {
	f.mu.Lock()
	fns := f.byIP[ip.String()]
	delete(f.byIP, ip.String())
	f.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// listen listens on ip:port.
func (f *Farm) listen(ip net.IP, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	f.onCloseIP(ip, func() { ln.Close() })
	return ln, nil
}

// serveHTTP serves h on ln (TLS when cfg is set).
func (f *Farm) serveHTTP(ln net.Listener, cfg *tls.Config, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: quietLog, TLSConfig: cfg}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		f.onCloseIP(a.IP, func() { srv.Close() })
	} else {
		f.onClose(func() { srv.Close() })
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	go srv.Serve(ln)
}

package scan

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/miekg/dns"
)

// dial opens a TCP connection to addr ("host:port"), resolving host with the
// scanner's DNS (never the system's), mapping standard ports to the
// configured ones, and holding one of the address's politeness slots until
// the connection closes.
func (s *Scanner) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, _ := strconv.Atoi(port)
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := s.addresses(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%s has no IPv4 address", host)
		}
		ip = ips[0]
	}
	return s.dialIP(ctx, ip, s.mapPort(p))
}

func (s *Scanner) mapPort(p int) int {
	switch p {
	case 80:
		return s.o.Ports.HTTP
	case 443:
		return s.o.Ports.HTTPS
	case 25:
		return s.o.Ports.SMTP
	}
	return p
}

// dialIP connects to ip:port within the handshake timeout.
func (s *Scanner) dialIP(ctx context.Context, ip net.IP, port int) (net.Conn, error) {
	key := ip.String()
	s.mu.Lock()
	slot, ok := s.slots[key]
	if !ok {
		slot = make(chan struct{}, s.o.PerAddress)
		s.slots[key] = slot
	}
	s.mu.Unlock()
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	d := net.Dialer{Timeout: s.o.Timeouts.Handshake}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(key, strconv.Itoa(port)))
	if err != nil {
		<-slot
		return nil, err
	}
	return &slotConn{Conn: c, release: func() { <-slot }}, nil
}

type slotConn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *slotConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// addresses returns host's IPv4 addresses (A records, unvalidated: used to
// connect, not to judge).
func (s *Scanner) addresses(ctx context.Context, host string) ([]net.IP, error) {
	m, err := s.dns.Query(ctx, host, dns.TypeA)
	if err != nil {
		return nil, err
	}
	var out []net.IP
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A)
		}
	}
	return out, nil
}

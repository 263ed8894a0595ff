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
	if s.o.Refuse != nil {
		if err := s.o.Refuse(ip); err != nil {
			return nil, fmt.Errorf("%s: %w", ip, err)
		}
	}
	key := ip.String()
	slot := s.takeSlot(key)
	select {
	case slot.ch <- struct{}{}:
	case <-ctx.Done():
		s.dropSlot(key, slot, false)
		return nil, ctx.Err()
	}
	d := net.Dialer{Timeout: s.o.Timeouts.Handshake}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(key, strconv.Itoa(port)))
	if err != nil {
		s.dropSlot(key, slot, true)
		return nil, err
	}
	return &slotConn{Conn: c, release: func() { s.dropSlot(key, slot, true) }}, nil
}

// addrSlot bounds the connections to one address. It lives while some
// dial wants or holds it, so a long-running scanner keeps no state for
// addresses it is done with.
type addrSlot struct {
	ch    chan struct{}
	users int // dials waiting for or holding a slot
}

func (s *Scanner) takeSlot(key string) *addrSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.slots[key]
	if !ok {
		sl = &addrSlot{ch: make(chan struct{}, s.o.PerAddress)}
		s.slots[key] = sl
	}
	sl.users++
	return sl
}

// dropSlot gives a slot back (held: a connection was holding it).
func (s *Scanner) dropSlot(key string, sl *addrSlot, held bool) {
	if held {
		<-sl.ch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.users--
	if sl.users == 0 && s.slots[key] == sl {
		delete(s.slots, key)
	}
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

// Package dnssec is a small stub resolver with DNSSEC validation: it sends
// every query to one server, asks for DNSSEC records, and decides whether an
// answer is secure, insecure or bogus from the configured trust anchors down,
// the way delv does. It has no dependency on the rest of kubu.
package dnssec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Client sends queries to one server (UDP, retrying over TCP when the answer
// is truncated) and caches answers for the life of the client.
type Client struct {
	Server  string        // host:port
	Timeout time.Duration // per query; default 3 s

	mu    sync.Mutex
	cache map[string]*entry
}

type entry struct {
	done chan struct{}
	msg  *dns.Msg
	err  error
}

// NewClient returns a client for server (host:port).
func NewClient(server string, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	return &Client{Server: server, Timeout: timeout, cache: map[string]*entry{}}
}

// ErrRcode is returned (wrapped) when the server answers with an error code
// other than NXDOMAIN.
var ErrRcode = errors.New("dns error")

// Query asks for name/qtype with the DO bit set. Identical concurrent and
// later queries share one answer.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	name = dns.CanonicalName(name)
	key := name + "/" + dns.TypeToString[qtype]
	c.mu.Lock()
	if e, ok := c.cache[key]; ok {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.msg, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &entry{done: make(chan struct{})}
	c.cache[key] = e
	c.mu.Unlock()
	e.msg, e.err = c.exchange(ctx, name, qtype)
	close(e.done)
	if e.err != nil && ctx.Err() != nil {
		// A cancelled caller must not poison the cache for others.
		c.mu.Lock()
		delete(c.cache, key)
		c.mu.Unlock()
	}
	return e.msg, e.err
}

func (c *Client) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.SetEdns0(4096, true)
	m.CheckingDisabled = true // we validate ourselves; let a validating resolver pass bogus data through
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	// UDP answers can be lost: try three times within the time limit, each
	// try with a third of it, before giving up.
	try := c.Timeout / 3
	var r *dns.Msg
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		cl := &dns.Client{Net: "udp", UDPSize: 4096, Timeout: try}
		r, _, err = cl.ExchangeContext(ctx, m, c.Server)
		if err == nil && r.Truncated {
			cl.Net = "tcp"
			r, _, err = cl.ExchangeContext(ctx, m, c.Server)
		}
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("dns %s %s: no answer from %s within %s", name, dns.TypeToString[qtype], c.Server, c.Timeout)
		}
		if !errors.As(err, &ne) && ctx.Err() == nil {
			return nil, fmt.Errorf("dns %s %s: %s answered with something that is not a DNS message (%v)", name, dns.TypeToString[qtype], c.Server, err)
		}
		return nil, fmt.Errorf("dns %s %s: %w", name, dns.TypeToString[qtype], err)
	}
	if r.Id != m.Id || len(r.Question) != 1 || !strings.EqualFold(r.Question[0].Name, name) || r.Question[0].Qtype != qtype {
		return nil, fmt.Errorf("dns %s %s: answer does not match the question", name, dns.TypeToString[qtype])
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("dns %s %s: %w: %s", name, dns.TypeToString[qtype], ErrRcode, dns.RcodeToString[r.Rcode])
	}
	return r, nil
}

// RRset returns the records of type qtype owned by name in the answer
// section (following no CNAME), and their signatures.
func RRset(sec []dns.RR, name string, qtype uint16) (rrs []dns.RR, sigs []*dns.RRSIG) {
	for _, rr := range sec {
		h := rr.Header()
		if !strings.EqualFold(h.Name, name) {
			continue
		}
		if h.Rrtype == qtype {
			rrs = append(rrs, rr)
		}
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == qtype {
			sigs = append(sigs, s)
		}
	}
	return rrs, sigs
}

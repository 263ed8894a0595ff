package ratelimit

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ClientAddr returns the address a request came from: the direct peer, or,
// when trustProxy is set, the address the nearest proxy put last in
// X-Forwarded-For (the one the proxy itself saw; earlier entries are
// whatever the client chose to send). IPv6 addresses are reduced to their
// /64, since one host usually holds a whole /64.
func ClientAddr(r *http.Request, trustProxy bool) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		host = h
	}
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if last = strings.TrimSpace(last); last != "" {
				host = last
			}
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// Guard limits requests per client address and overall. Either limiter may
// be nil (no limit of that kind).
type Guard struct {
	PerClient  *Limiter
	Overall    *Limiter
	TrustProxy bool
}

// Check takes a token for r's client and one from the overall bucket. It
// returns false and the wait when either is exhausted.
func (g *Guard) Check(r *http.Request) (bool, time.Duration) {
	if g == nil {
		return true, 0
	}
	if ok, wait := g.PerClient.Allow(ClientAddr(r, g.TrustProxy)); !ok {
		return false, wait
	}
	if ok, wait := g.Overall.Allow(""); !ok {
		return false, wait
	}
	return true, 0
}

// RetryAfter formats a wait for the Retry-After header: whole seconds,
// rounded up, at least 1.
func RetryAfter(wait time.Duration) string {
	s := int(math.Ceil(wait.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

package mailauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Resolver is the DNS an SPF evaluation needs. An empty answer (no such
// name, or no records of the type) is nil with no error; an error means the
// lookup failed (temperror).
type Resolver interface {
	TXT(ctx context.Context, name string) ([]string, error)
	IP(ctx context.Context, name string) ([]net.IP, error) // A and AAAA
	MX(ctx context.Context, name string) ([]string, error)
	PTR(ctx context.Context, ip net.IP) ([]string, error)
}

// SPFResult is the outcome of check_host().
type SPFResult struct {
	Result  string `json:"result"`
	Reason  string `json:"reason,omitempty"`
	Lookups int    `json:"lookups"`
}

// Limits of RFC 7208 §4.6.4.
const (
	MaxLookups     = 10
	MaxVoidLookups = 2
	maxMXorPTR     = 10
)

type evaluation struct {
	r      Resolver
	ip     net.IP
	sender string
	helo   string
	look   int
	void   int
	depth  int
}

var errLimit = errors.New("more than 10 DNS-querying terms")

// CheckHost evaluates the SPF policy of domain for a message from ip with
// the given MAIL FROM (sender, "postmaster@domain" when empty).
func CheckHost(ctx context.Context, r Resolver, ip net.IP, domain, sender string) SPFResult {
	if sender == "" {
		sender = "postmaster@" + domain
	}
	e := &evaluation{r: r, ip: ip, sender: sender, helo: domain}
	res, why := e.check(ctx, strings.TrimSuffix(domain, "."))
	return SPFResult{Result: res, Reason: why, Lookups: e.look}
}

// Record finds domain's single SPF record; none is "", more than one is a
// permerror.
func Record(ctx context.Context, r Resolver, domain string) (string, error) {
	txts, err := r.TXT(ctx, domain)
	if err != nil {
		return "", err
	}
	var found []string
	for _, t := range txts {
		if IsSPF(t) {
			found = append(found, t)
		}
	}
	if len(found) > 1 {
		return found[0], fmt.Errorf("%d SPF records", len(found))
	}
	if len(found) == 0 {
		return "", nil
	}
	return found[0], nil
}

func (e *evaluation) check(ctx context.Context, domain string) (string, string) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 12 {
		return PermError, "include/redirect loop"
	}
	txt, err := Record(ctx, e.r, domain)
	if err != nil {
		if txt != "" {
			return PermError, domain + ": " + err.Error()
		}
		return TempError, domain + ": " + err.Error()
	}
	if txt == "" {
		return None, "no SPF record at " + domain
	}
	rec, err := ParseSPF(txt)
	if err != nil {
		return PermError, domain + ": " + err.Error()
	}
	env := macroEnv{sender: e.sender, domain: domain, helo: e.helo, ip: e.ip}
	for _, m := range rec.Mechanisms {
		match, res, why := e.match(ctx, m, env)
		if res != "" {
			return res, why
		}
		if match {
			return qualifierResult(m.Qualifier), fmt.Sprintf("%s matched %s", domain, mechString(m))
		}
	}
	if rec.Redirect != "" {
		if err := e.count(); err != nil {
			return PermError, err.Error()
		}
		target, err := expand(rec.Redirect, env, false)
		if err != nil {
			return PermError, err.Error()
		}
		res, why := e.check(ctx, target)
		if res == None {
			return PermError, "redirect to a domain without SPF: " + target
		}
		return res, why
	}
	return Neutral, domain + ": no mechanism matched"
}

func (e *evaluation) count() error {
	e.look++
	if e.look > MaxLookups {
		return errLimit
	}
	return nil
}

func (e *evaluation) voidCheck(n int) error {
	if n == 0 {
		e.void++
		if e.void > MaxVoidLookups {
			return errors.New("more than 2 void lookups")
		}
	}
	return nil
}

// match evaluates one mechanism; a non-empty res ends the evaluation.
func (e *evaluation) match(ctx context.Context, m Mechanism, env macroEnv) (bool, string, string) {
	target := env.domain
	if m.Domain != "" {
		t, err := expand(m.Domain, env, false)
		if err != nil {
			return false, PermError, err.Error()
		}
		target = t
	}
	switch m.Kind {
	case "all":
		return true, "", ""
	case "ip4", "ip6":
		return m.Net.Contains(e.ip), "", ""
	}
	if err := e.count(); err != nil {
		return false, PermError, err.Error()
	}
	switch m.Kind {
	case "include":
		res, why := e.check(ctx, target)
		switch res {
		case Pass:
			return true, "", ""
		case Fail, SoftFail, Neutral:
			return false, "", ""
		case None:
			return false, PermError, "include of a domain without SPF: " + target
		default:
			return false, res, why
		}
	case "a":
		ips, err := e.r.IP(ctx, target)
		if err != nil {
			return false, TempError, err.Error()
		}
		if err := e.voidCheck(len(ips)); err != nil {
			return false, PermError, err.Error()
		}
		return e.inAny(ips, m), "", ""
	case "mx":
		hosts, err := e.r.MX(ctx, target)
		if err != nil {
			return false, TempError, err.Error()
		}
		if err := e.voidCheck(len(hosts)); err != nil {
			return false, PermError, err.Error()
		}
		if len(hosts) > maxMXorPTR {
			return false, PermError, "more than 10 MX names"
		}
		for _, h := range hosts {
			ips, err := e.r.IP(ctx, h)
			if err != nil {
				return false, TempError, err.Error()
			}
			if e.inAny(ips, m) {
				return true, "", ""
			}
		}
		return false, "", ""
	case "ptr":
		names, err := e.r.PTR(ctx, e.ip)
		if err != nil {
			return false, "", "" // a failed PTR lookup is no match (RFC 7208 §5.5)
		}
		for i, n := range names {
			if i >= maxMXorPTR {
				break
			}
			n = strings.TrimSuffix(n, ".")
			if !strings.EqualFold(n, target) && !strings.HasSuffix(strings.ToLower(n), "."+strings.ToLower(target)) {
				continue
			}
			ips, err := e.r.IP(ctx, n)
			if err != nil {
				continue
			}
			for _, ip := range ips {
				if ip.Equal(e.ip) {
					return true, "", ""
				}
			}
		}
		return false, "", ""
	case "exists":
		ips, err := e.r.IP(ctx, target)
		if err != nil {
			return false, TempError, err.Error()
		}
		if err := e.voidCheck(len(ips)); err != nil {
			return false, PermError, err.Error()
		}
		return len(ips) > 0, "", ""
	}
	return false, PermError, "unknown mechanism " + m.Kind
}

func (e *evaluation) inAny(ips []net.IP, m Mechanism) bool {
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			if e.ip.To4() == nil {
				continue
			}
			bits := 32
			if m.CIDR4 >= 0 {
				bits = m.CIDR4
			}
			n := net.IPNet{IP: ip4.Mask(net.CIDRMask(bits, 32)), Mask: net.CIDRMask(bits, 32)}
			if n.Contains(e.ip) {
				return true
			}
		} else {
			if e.ip.To4() != nil {
				continue
			}
			bits := 128
			if m.CIDR6 >= 0 {
				bits = m.CIDR6
			}
			n := net.IPNet{IP: ip.Mask(net.CIDRMask(bits, 128)), Mask: net.CIDRMask(bits, 128)}
			if n.Contains(e.ip) {
				return true
			}
		}
	}
	return false
}

func qualifierResult(q byte) string {
	switch q {
	case '-':
		return Fail
	case '~':
		return SoftFail
	case '?':
		return Neutral
	}
	return Pass
}

func mechString(m Mechanism) string {
	s := string(m.Qualifier) + m.Kind
	if m.Domain != "" {
		s += ":" + m.Domain
	}
	if m.Net != nil {
		s += ":" + m.Net.String()
	}
	return s
}

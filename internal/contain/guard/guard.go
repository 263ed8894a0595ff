// Package guard decides whether a containment action may go ahead: it
// refuses to block the platform's own addresses and names, special-purpose
// addresses, public suffixes, private ranges wider than a set size, any
// range wider than a set size, and whatever the allow-list protects, each
// time with an error that says which rule refused and why.
//
// Check is a pure function of its arguments. The package has no
// dependency on the rest of kubu beyond the observable types of intel.
package guard

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
	"golang.org/x/net/publicsuffix"
)

// Target is what a containment action would block.
type Target struct {
	Type  string // ip, cidr, domain, url, account
	Value string
}

// Policy is the configuration Check applies.
type Policy struct {
	// Own holds the platform's own addresses and ranges (its listeners,
	// resolvers, gateways); OwnDomains its own names.
	Own        []netip.Prefix
	OwnDomains []string
	// PrivateMinBitsV4 and V6: a private range (RFC 1918, CGNAT
	// 100.64.0.0/10, IPv6 ULA) must be at least this long, i.e. no wider
	// (defaults 24 and 64).
	PrivateMinBitsV4, PrivateMinBitsV6 int
	// MinBitsV4 and V6: any range must be at least this long (defaults
	// 16 and 32).
	MinBitsV4, MinBitsV6 int
	// Allow is the allow-list (may be nil).
	Allow *AllowList
}

// RefusedError is a containment that the guard rails refuse.
type RefusedError struct {
	Target Target
	Rule   string // own, special, private-range, range, public-suffix, allow-list
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to %s %s: %s", verb(e.Target.Type), e.Target.Value, e.Reason)
}

func verb(t string) string {
	if t == "account" {
		return "disable account"
	}
	return "block " + t
}

// ErrInvalid wraps a target whose value does not parse.
var ErrInvalid = errors.New("invalid containment target")

var private = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
}

// Check returns the target with its value normalised, or an error: one
// wrapping ErrInvalid for a value that is not of its type, a
// *RefusedError for one the rules refuse.
func Check(t Target, p *Policy) (Target, error) {
	if p == nil {
		p = &Policy{}
	}
	switch t.Type {
	case "ip", "cidr":
		return checkIP(t, p)
	case "domain":
		return checkDomain(t, p)
	case "url":
		return checkURL(t, p)
	case "account":
		return checkAccount(t, p)
	}
	return t, fmt.Errorf("%w: type %q (want ip, cidr, domain, url or account)", ErrInvalid, t.Type)
}

func refuse(t Target, rule, format string, args ...any) error {
	return &RefusedError{Target: t, Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

func checkIP(t Target, p *Policy) (Target, error) {
	pr, err := intel.ParseIP(t.Value)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if t.Type == "ip" && !pr.IsSingleIP() {
		return t, fmt.Errorf("%w: %s is a range; block it as a cidr", ErrInvalid, t.Value)
	}
	if t.Type == "cidr" && !strings.Contains(t.Value, "/") {
		return t, fmt.Errorf("%w: %s is not a CIDR (address/bits)", ErrInvalid, t.Value)
	}
	if pr.IsSingleIP() {
		t.Value = pr.Addr().String()
	} else {
		t.Value = pr.String()
	}
	if err := specialPurpose(t, pr); err != nil {
		return t, err
	}
	if err := ipOwnOrAllowed(t, pr, p); err != nil {
		return t, err
	}
	v4 := pr.Addr().Is4()
	minAny, minPriv := def(p.MinBitsV6, 32), def(p.PrivateMinBitsV6, 64)
	if v4 {
		minAny, minPriv = def(p.MinBitsV4, 16), def(p.PrivateMinBitsV4, 24)
	}
	for _, priv := range private {
		if priv.Overlaps(pr) && pr.Bits() < minPriv {
			return t, refuse(t, "private-range", "a private range wider than /%d (a block this wide could cut off an agency's own network)", minPriv)
		}
	}
	if pr.Bits() < minAny {
		return t, refuse(t, "range", "a range wider than /%d", minAny)
	}
	return t, nil
}

func def(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// specialPurpose refuses addresses that are not someone else's host.
func specialPurpose(t Target, pr netip.Prefix) error {
	a := pr.Addr()
	for _, sp := range []struct {
		p    string
		what string
	}{
		{"0.0.0.0/8", "the unspecified range"}, {"127.0.0.0/8", "loopback"}, {"169.254.0.0/16", "link-local"},
		{"224.0.0.0/4", "multicast"}, {"240.0.0.0/4", "reserved (including broadcast)"},
		{"::/128", "the unspecified address"}, {"::1/128", "loopback"}, {"fe80::/10", "link-local"}, {"ff00::/8", "multicast"},
	} {
		if netip.MustParsePrefix(sp.p).Overlaps(pr) {
			return refuse(t, "special", "%s is %s, not a host that can be blocked", a, sp.what)
		}
	}
	if pr.Bits() == 0 {
		return refuse(t, "special", "the whole address space")
	}
	return nil
}

func ipOwnOrAllowed(t Target, pr netip.Prefix, p *Policy) error {
	for _, own := range p.Own {
		if own.Overlaps(pr) {
			return refuse(t, "own", "it includes the platform's own %s", prefixText(own))
		}
	}
	if p.Allow != nil {
		for _, al := range p.Allow.Prefixes {
			if al.Overlaps(pr) {
				return refuse(t, "allow-list", "it includes %s, which is on the allow-list", prefixText(al))
			}
		}
	}
	return nil
}

func prefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return "address " + p.Addr().String()
	}
	return "range " + p.String()
}

// related reports whether a and b are the same domain or one is a
// subdomain of the other.
func related(a, b string) bool {
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

func checkDomain(t Target, p *Policy) (Target, error) {
	d, err := intel.Normalise(intel.Domain, t.Value)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	t.Value = d
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d || !strings.Contains(d, ".") {
		return t, refuse(t, "public-suffix", "%s is a public suffix: blocking it blocks every domain under it", d)
	}
	return t, domainOwnOrAllowed(t, d, p)
}

func domainOwnOrAllowed(t Target, d string, p *Policy) error {
	for _, own := range p.OwnDomains {
		o, err := intel.Normalise(intel.Domain, own)
		if err == nil && related(d, o) {
			return refuse(t, "own", "it covers the platform's own name %s", o)
		}
	}
	if p.Allow != nil {
		for _, a := range p.Allow.Domains {
			if related(d, a) {
				return refuse(t, "allow-list", "it covers %s, which is on the allow-list", a)
			}
		}
	}
	return nil
}

func checkURL(t Target, p *Policy) (Target, error) {
	u, err := intel.NormaliseURL(t.Value)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	t.Value = u
	_, hs, he, _ := intel.AppendURL(nil, []byte(u))
	host := strings.Trim(u[hs:he], "[]")
	if a, err := netip.ParseAddr(host); err == nil {
		pr := netip.PrefixFrom(a, a.BitLen())
		if err := specialPurpose(t, pr); err != nil {
			return t, err
		}
		return t, ipOwnOrAllowed(t, pr, p)
	}
	// A URL names one page: only the site's own protection applies (not
	// its parents).
	for _, own := range p.OwnDomains {
		if o, err := intel.Normalise(intel.Domain, own); err == nil && (host == o || strings.HasSuffix(host, "."+o)) {
			return t, refuse(t, "own", "it is on the platform's own site %s", o)
		}
	}
	if p.Allow != nil {
		for _, a := range p.Allow.Domains {
			if host == a || strings.HasSuffix(host, "."+a) {
				return t, refuse(t, "allow-list", "its site %s is on the allow-list", a)
			}
		}
	}
	return t, nil
}

func checkAccount(t Target, p *Policy) (Target, error) {
	v := strings.TrimSpace(t.Value)
	if v == "" || len(v) > 256 || strings.ContainsAny(v, "\x00\r\n") {
		return t, fmt.Errorf("%w: an account is a non-empty name of at most 256 characters", ErrInvalid)
	}
	t.Value = v
	if p.Allow != nil && slices.Contains(p.Allow.Accounts, strings.ToLower(v)) {
		return t, refuse(t, "allow-list", "the account is on the allow-list")
	}
	return t, nil
}

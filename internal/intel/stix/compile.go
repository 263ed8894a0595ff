package stix

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
)

// UnsupportedError is a valid pattern that kubu cannot turn into
// observables to match; Reason says which part.
type UnsupportedError struct{ Reason string }

func (e *UnsupportedError) Error() string { return "unsupported pattern: " + e.Reason }

// ValueError is a supported comparison whose value is not a valid
// observable (an address that does not parse, a hash of the wrong length).
type ValueError struct {
	Path ObjectPath
	Err  error
}

func (e *ValueError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *ValueError) Unwrap() error { return e.Err }

// CompilePattern parses a pattern and compiles it (see Compile).
func CompilePattern(pattern string) ([]intel.Observable, error) {
	p, err := ParsePattern(pattern)
	if err != nil {
		return nil, err
	}
	return p.Compile()
}

// Compile returns the observables a pattern names, when the pattern is a
// disjunction of simple comparisons: observations joined with OR, each a
// comparison or several joined with OR, each comparison either
//
//	PATH = 'value'          PATH IN ('v1', 'v2', …)
//	ipv4-addr:value ISSUBSET '10.0.0.0/8'  (also ipv6-addr)
//
// with PATH one of ipv4-addr:value, ipv6-addr:value, domain-name:value,
// url:value, email-addr:value, email-message:from_ref.value,
// email-message:sender_ref.value, network-traffic:dst_ref.value and
// src_ref.value (an address or a domain), file:hashes.MD5, 'SHA-1',
// 'SHA-256', 'SHA-512'. Values are normalised (intel.Normalise) and
// de-duplicated. Anything else — AND, FOLLOWEDBY, qualifiers, NOT, other
// operators or paths — gives an UnsupportedError naming it; a bad value
// gives a ValueError.
func (p *Pattern) Compile() ([]intel.Observable, error) {
	var out []intel.Observable
	seen := map[intel.Observable]bool{}
	add := func(o intel.Observable) {
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	if err := compileObs(p.root, add); err != nil {
		return nil, err
	}
	return out, nil
}

func compileObs(x obsExpr, add func(intel.Observable)) error {
	switch x := x.(type) {
	case obsBinary:
		if x.op != "OR" {
			return &UnsupportedError{x.op + " between observations (only OR is supported)"}
		}
		if err := compileObs(x.l, add); err != nil {
			return err
		}
		return compileObs(x.r, add)
	case obsQualified:
		return &UnsupportedError{"qualifier " + x.qual}
	case observation:
		return compileCmp(x.cmp, add)
	}
	return &UnsupportedError{"unknown expression"}
}

func compileCmp(c cmpExpr, add func(intel.Observable)) error {
	switch c := c.(type) {
	case cmpBinary:
		if c.op != "OR" {
			return &UnsupportedError{c.op + " between comparisons (only OR is supported)"}
		}
		if err := compileCmp(c.l, add); err != nil {
			return err
		}
		return compileCmp(c.r, add)
	case comparison:
		return compileComparison(c, add)
	}
	return &UnsupportedError{"unknown comparison"}
}

func compileComparison(c comparison, add func(intel.Observable)) error {
	if c.not {
		return &UnsupportedError{"NOT " + c.op + " on " + c.path.String()}
	}
	typ, ok := pathType(c.path)
	if !ok {
		return &UnsupportedError{"object path " + c.path.String()}
	}
	switch c.op {
	case "=", "IN":
	case "ISSUBSET":
		if typ != intel.IP {
			return &UnsupportedError{"ISSUBSET on " + c.path.String()}
		}
		if _, err := netip.ParsePrefix(c.lits[0].text); err != nil {
			return &ValueError{c.path, fmt.Errorf("ISSUBSET needs a CIDR, got %q", c.lits[0].text)}
		}
	default:
		return &UnsupportedError{"operator " + c.op + " on " + c.path.String()}
	}
	for _, lit := range c.lits {
		if lit.kind != tString {
			return &ValueError{c.path, fmt.Errorf("want a string, got %s", lit)}
		}
		t := typ
		if t == "" { // network-traffic references: an address or a name
			t = intel.Domain
			if _, err := intel.ParseIP(lit.text); err == nil {
				t = intel.IP
			}
		}
		o, err := intel.NewObservable(t, lit.text)
		if err != nil {
			return &ValueError{c.path, err}
		}
		if err := checkFamily(c.path, o); err != nil {
			return err
		}
		add(o)
	}
	return nil
}

// pathType maps a supported object path to its observable type ("" for a
// network-traffic reference, which may be either an address or a name).
func pathType(p ObjectPath) (intel.Type, bool) {
	props := strings.Join(p.Props, ".")
	switch strings.ToLower(p.Type) {
	case "ipv4-addr", "ipv6-addr":
		return intel.IP, props == "value"
	case "domain-name":
		return intel.Domain, props == "value"
	case "url":
		return intel.URL, props == "value"
	case "email-addr":
		return intel.Email, props == "value"
	case "email-message":
		return intel.Email, props == "from_ref.value" || props == "sender_ref.value"
	case "network-traffic":
		return "", props == "dst_ref.value" || props == "src_ref.value"
	case "file", "artifact", "x509-certificate":
		if len(p.Props) != 2 || p.Props[0] != "hashes" {
			return "", false
		}
		switch strings.ToUpper(strings.ReplaceAll(p.Props[1], "-", "")) {
		case "MD5":
			return intel.MD5, true
		case "SHA1":
			return intel.SHA1, true
		case "SHA256":
			return intel.SHA256, true
		case "SHA512":
			return intel.SHA512, true
		}
	}
	return "", false
}

// checkFamily refuses an IPv6 value on ipv4-addr and the reverse.
func checkFamily(p ObjectPath, o intel.Observable) error {
	if o.Type != intel.IP {
		return nil
	}
	pr, _ := intel.ParseIP(o.Value)
	switch strings.ToLower(p.Type) {
	case "ipv4-addr":
		if !pr.Addr().Is4() {
			return &ValueError{p, fmt.Errorf("%s is not an IPv4 address or CIDR", o.Value)}
		}
	case "ipv6-addr":
		if !pr.Addr().Is6() {
			return &ValueError{p, fmt.Errorf("%s is not an IPv6 address or CIDR", o.Value)}
		}
	}
	return nil
}

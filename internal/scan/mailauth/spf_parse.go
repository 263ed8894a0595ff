// Package mailauth parses and evaluates SPF (RFC 7208) and parses DMARC
// (RFC 7489) records. It has no dependency on the rest of kubu.
package mailauth

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// SPF results.
const (
	Pass      = "pass"
	Fail      = "fail"
	SoftFail  = "softfail"
	Neutral   = "neutral"
	None      = "none"
	PermError = "permerror"
	TempError = "temperror"
)

// Mechanism is one SPF directive.
type Mechanism struct {
	Qualifier byte   // '+', '-', '~', '?'
	Kind      string // all, include, a, mx, ptr, ip4, ip6, exists
	Domain    string // domain-spec (may hold macros); empty means the current domain
	Net       *net.IPNet
	CIDR4     int // for a and mx; -1 when absent
	CIDR6     int
}

// SPFRecord is a parsed SPF record.
type SPFRecord struct {
	Mechanisms []Mechanism
	Redirect   string
	Exp        string
}

// IsSPF says whether a TXT string is an SPF record (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	return strings.EqualFold(txt, "v=spf1") || (len(txt) > 7 && strings.EqualFold(txt[:7], "v=spf1 "))
}

// ParseSPF parses an SPF record; any syntax error is a permerror.
func ParseSPF(txt string) (*SPFRecord, error) {
	if !IsSPF(txt) {
		return nil, fmt.Errorf("not an SPF record")
	}
	r := &SPFRecord{}
	for _, term := range strings.Fields(txt[6:]) {
		if name, value, ok := strings.Cut(term, "="); ok && isName(name) {
			switch strings.ToLower(name) {
			case "redirect":
				if r.Redirect != "" {
					return nil, fmt.Errorf("redirect= appears twice")
				}
				if err := checkMacro(value); err != nil || value == "" {
					return nil, fmt.Errorf("redirect=%q: bad domain-spec", value)
				}
				r.Redirect = value
			case "exp":
				if r.Exp != "" {
					return nil, fmt.Errorf("exp= appears twice")
				}
				r.Exp = value
			default:
				if err := checkMacro(value); err != nil {
					return nil, fmt.Errorf("%s: %w", term, err)
				}
			}
			continue
		}
		m, err := parseMechanism(term)
		if err != nil {
			return nil, err
		}
		r.Mechanisms = append(r.Mechanisms, m)
	}
	return r, nil
}

func isName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func parseMechanism(term string) (Mechanism, error) {
	m := Mechanism{Qualifier: '+', CIDR4: -1, CIDR6: -1}
	if term != "" && strings.IndexByte("+-~?", term[0]) >= 0 {
		m.Qualifier = term[0]
		term = term[1:]
	}
	name, arg, hasArg := strings.Cut(term, ":")
	if !hasArg {
		if i := strings.IndexByte(term, '/'); i >= 0 {
			name, arg = term[:i], term[i:]
		}
	}
	m.Kind = strings.ToLower(name)
	bad := func(why string) (Mechanism, error) { return Mechanism{}, fmt.Errorf("%q: %s", term, why) }
	switch m.Kind {
	case "all":
		if arg != "" || hasArg {
			return bad("all takes no argument")
		}
	case "include", "exists":
		if !hasArg || arg == "" {
			return bad("needs a domain")
		}
		if err := checkMacro(arg); err != nil {
			return bad(err.Error())
		}
		m.Domain = arg
	case "a", "mx":
		dom, c4, c6, err := splitCIDR(arg)
		if err != nil {
			return bad(err.Error())
		}
		if hasArg && dom == "" {
			return bad("empty domain")
		}
		if err := checkMacro(dom); err != nil {
			return bad(err.Error())
		}
		m.Domain, m.CIDR4, m.CIDR6 = dom, c4, c6
	case "ptr":
		if hasArg && arg == "" {
			return bad("empty domain")
		}
		if err := checkMacro(arg); err != nil {
			return bad(err.Error())
		}
		m.Domain = arg
	case "ip4", "ip6":
		if !hasArg {
			return bad("needs an address")
		}
		addr, bits, hasBits := strings.Cut(arg, "/")
		ip := net.ParseIP(addr)
		is4 := ip != nil && ip.To4() != nil && !strings.Contains(addr, ":")
		if ip == nil || (m.Kind == "ip4") != is4 {
			return bad("bad address")
		}
		size := 32
		if m.Kind == "ip6" {
			size = 128
		} else {
			ip = ip.To4()
		}
		n := size
		if hasBits {
			v, err := strconv.Atoi(bits)
			if err != nil || v < 0 || v > size || (len(bits) > 1 && bits[0] == '0') {
				return bad("bad prefix length")
			}
			n = v
		}
		m.Net = &net.IPNet{IP: ip.Mask(net.CIDRMask(n, size)), Mask: net.CIDRMask(n, size)}
	default:
		return bad("unknown mechanism")
	}
	return m, nil
}

// splitCIDR splits "domain/24//64" into its parts.
func splitCIDR(s string) (dom string, c4, c6 int, err error) {
	c4, c6 = -1, -1
	if i := strings.Index(s, "//"); i >= 0 {
		v, e := strconv.Atoi(s[i+2:])
		if e != nil || v < 0 || v > 128 {
			return "", 0, 0, fmt.Errorf("bad ip6 prefix length")
		}
		c6, s = v, s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		v, e := strconv.Atoi(s[i+1:])
		if e != nil || v < 0 || v > 32 {
			return "", 0, 0, fmt.Errorf("bad ip4 prefix length")
		}
		c4, s = v, s[:i]
	}
	return s, c4, c6, nil
}

// checkMacro checks macro-string syntax.
func checkMacro(s string) error {
	_, err := expand(s, macroEnv{}, true)
	return err
}

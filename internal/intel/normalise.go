package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// Normalise returns the canonical form of value as an observable of type t,
// or an error saying why it is not one. Canonical forms:
//
//   - ip: an address ("192.0.2.1", "2001:db8::1"; IPv4-mapped IPv6 is
//     unmapped, zones are refused) or a CIDR masked to its network
//     ("10.0.0.0/8"); a /32 or /128 prefix is written as the address.
//   - domain: lower-case ASCII (internationalised names in punycode),
//     without a trailing dot or a leading "*.", labels of 1–63 letters,
//     digits, '-' or '_', at most 253 bytes. A domain stands for itself
//     and all its subdomains.
//   - url: see NormaliseURL.
//   - email: local@domain, all lower-case, the domain as above.
//   - md5, sha1, sha256, sha512: lower-case hex of 32, 40, 64, 128 digits.
func Normalise(t Type, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", fmt.Errorf("empty %s", t)
	}
	switch t {
	case IP:
		return normaliseIP(v)
	case Domain:
		return normaliseDomain(v)
	case URL:
		return NormaliseURL(v)
	case Email:
		return normaliseEmail(v)
	case MD5, SHA1, SHA256, SHA512:
		return normaliseHash(t, v)
	}
	return "", fmt.Errorf("unknown observable type %q", t)
}

func normaliseIP(v string) (string, error) {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	if strings.IndexByte(v, '/') >= 0 {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return "", fmt.Errorf("ip: %q is not an address or CIDR", v)
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() {
			if bits < 96 {
				return "", fmt.Errorf("ip: %q: an IPv4-mapped prefix must be /96 or longer", v)
			}
			a, bits = a.Unmap(), bits-96
		}
		p = netip.PrefixFrom(a, bits).Masked()
		if p.IsSingleIP() {
			return p.Addr().String(), nil
		}
		return p.String(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return "", fmt.Errorf("ip: %q is not an address or CIDR", v)
	}
	if a.Zone() != "" {
		return "", fmt.Errorf("ip: %q has a zone", v)
	}
	return a.Unmap().String(), nil
}

// ParseIP reads a normalised or raw ip value as a prefix (an address is a
// /32 or /128).
func ParseIP(v string) (netip.Prefix, error) {
	n, err := normaliseIP(strings.TrimSpace(v))
	if err != nil {
		return netip.Prefix{}, err
	}
	if strings.IndexByte(n, '/') >= 0 {
		return netip.ParsePrefix(n)
	}
	a, err := netip.ParseAddr(n)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false))

func normaliseDomain(v string) (string, error) {
	d := strings.TrimSuffix(v, ".")
	d = strings.TrimPrefix(d, "*.")
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			a, err := idnaProfile.ToASCII(d)
			if err != nil {
				return "", fmt.Errorf("domain: %q: %v", v, err)
			}
			d = a
			break
		}
	}
	d = strings.ToLower(d)
	if err := checkDomain(d); err != nil {
		return "", fmt.Errorf("domain: %q: %w", v, err)
	}
	return d, nil
}

// checkDomain validates a lower-case ASCII domain.
func checkDomain(d string) error {
	if d == "" {
		return errors.New("empty name")
	}
	if len(d) > 253 {
		return errors.New("longer than 253 bytes")
	}
	label := 0
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch {
		case c == '.':
			if label == 0 {
				return errors.New("empty label")
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return fmt.Errorf("character %q not allowed in a domain", c)
		}
		label++
		if label > 63 {
			return errors.New("label longer than 63 bytes")
		}
	}
	if label == 0 {
		return errors.New("empty label")
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return errors.New("an IP address, not a domain")
	}
	return nil
}

func normaliseEmail(v string) (string, error) {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", fmt.Errorf("email: %q is not local@domain", v)
	}
	local := v[:at]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == '@' || c == '"' || c == '<' || c == '>' || c == ',' || c == ';' || c >= 0x7f {
			return "", fmt.Errorf("email: %q: character %q not allowed in the local part", v, c)
		}
	}
	d, err := normaliseDomain(v[at+1:])
	if err != nil {
		return "", fmt.Errorf("email: %q: %w", v, err)
	}
	return strings.ToLower(local) + "@" + d, nil
}

// HashLen is the hex length of each hash type.
func HashLen(t Type) int {
	switch t {
	case MD5:
		return 32
	case SHA1:
		return 40
	case SHA256:
		return 64
	case SHA512:
		return 128
	}
	return 0
}

// HashType names the hash type of a hex digest by its length ("" if none).
func HashType(n int) Type {
	switch n {
	case 32:
		return MD5
	case 40:
		return SHA1
	case 64:
		return SHA256
	case 128:
		return SHA512
	}
	return ""
}

func normaliseHash(t Type, v string) (string, error) {
	if len(v) != HashLen(t) {
		return "", fmt.Errorf("%s: %q has %d characters, want %d hex digits", t, v, len(v), HashLen(t))
	}
	b := []byte(v)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + 'a' - 'A'
		default:
			return "", fmt.Errorf("%s: %q is not hex", t, v)
		}
	}
	return string(b), nil
}

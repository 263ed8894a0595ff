package scanning

import (
	"errors"
	"net"
	"net/netip"
)

// errNotPublic refuses a connection to an address outside the public
// internet.
var errNotPublic = errors.New("not a public internet address: kubu serve scans public addresses only (see --scan-private)")

// notPublic are the special-purpose ranges (RFC 6890 and friends) that a
// server scanning from the outside must keep off by default: a hostname an
// agency registers must not turn the scanner on kubu's own network.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// PublicOnly refuses addresses that are not on the public internet
// (private, loopback, link-local, shared, documentation, multicast and
// reserved ranges). It is the scanner's default Refuse hook in kubu serve.
func PublicOnly(ip net.IP) error {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return errNotPublic
	}
	a = a.Unmap()
	for _, p := range notPublic {
		if p.Contains(a) {
			return errNotPublic
		}
	}
	return nil
}

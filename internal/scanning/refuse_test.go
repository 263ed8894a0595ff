package scanning_test

import (
	"net"
	"testing"

	"github.com/kubu-gov/kubu/internal/scanning"
)

func TestPublicOnly(t *testing.T) {
	for _, c := range []struct {
		ip     string
		public bool
	}{
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"2606:4700:4700::1111", true}, {"::ffff:8.8.4.4", true},
		{"127.0.0.1", false}, {"127.82.0.3", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"172.31.255.255", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"224.0.0.1", false},
		{"255.255.255.255", false}, {"::1", false}, {"::", false}, {"fe80::1", false}, {"fd00::1", false}, {"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false}, {"2001:db8::1", false}, {"192.0.2.10", false},
	} {
		err := scanning.PublicOnly(net.ParseIP(c.ip))
		if (err == nil) != c.public {
			t.Errorf("%s: public=%v, err=%v", c.ip, c.public, err)
		}
	}
}

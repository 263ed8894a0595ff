package scan_test

import (
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/scan"
)

func TestParsePorts(t *testing.T) {
	var p scan.Ports
	if err := scan.ParsePorts("http=8080, https=8443,smtp=2525", &p); err != nil || p != (scan.Ports{HTTP: 8080, HTTPS: 8443, SMTP: 2525}) {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "http", "http=", "http=0", "http=65536", "ftp=21", "http=80,", "https=-1", "smtp=25x"} {
		if err := scan.ParsePorts(bad, &p); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParsePorts: any input either parses into ports in range or is
// refused with an error; it never panics.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"http=8080,https=8443,smtp=2525", "https=1", "x=1", "http==1", ",", "http=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p scan.Ports
		if err := scan.ParsePorts(s, &p); err != nil {
			return
		}
		for _, n := range []int{p.HTTP, p.HTTPS, p.SMTP} {
			if n < 0 || n > 65535 {
				t.Fatalf("%q gave port %d", s, n)
			}
		}
		if !strings.Contains(s, "=") {
			t.Fatalf("%q parsed without NAME=PORT", s)
		}
	})
}

package intel

import "testing"

func TestDetect(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7":                             "ip:198.51.100.7",
		" 10.0.0.0/8 ":                             "ip:10.0.0.0/8",
		"2001:db8::1":                              "ip:2001:db8::1",
		"HTTP://Evil.Example/x":                    "url:http://evil.example/x",
		"Bob@Evil.Example":                         "email:bob@evil.example",
		"D41D8CD98F00B204E9800998ECF8427E":         "md5:d41d8cd98f00b204e9800998ecf8427e",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709": "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"Evil.Example.":                            "domain:evil.example",
		"deadbeef.io":                              "domain:deadbeef.io",
	} {
		o, err := Detect(in)
		if err != nil || o.String() != want {
			t.Errorf("Detect(%q) = %v, %v; want %s", in, o, err, want)
		}
	}
	for _, bad := range []string{"", "not a value", "http://", "@x", "a@", "1.2.3.4.5/99", "value", "localhost"} {
		if o, err := Detect(bad); err == nil {
			t.Errorf("Detect(%q) = %v, want an error", bad, o)
		}
	}
}

package web

import (
	"net/http"
	"testing"
)

func TestParseHSTS(t *testing.T) {
	cases := []struct {
		v    string
		want HSTS
	}{
		{"max-age=31536000; includeSubDomains; preload", HSTS{Present: true, Valid: true, MaxAge: 31536000, IncludeSubdomains: true, Preload: true}},
		{`max-age="600"`, HSTS{Present: true, Valid: true, MaxAge: 600}},
		{"includeSubDomains", HSTS{Present: true, IncludeSubdomains: true}},
		{"max-age=1, max-age=2", HSTS{Present: true}},
		{"max-age=-5", HSTS{Present: true}},
	}
	for _, c := range cases {
		h := http.Header{}
		h.Set("Strict-Transport-Security", c.v)
		got := ParseHSTS(h)
		got.Raw = ""
		if got != c.want {
			t.Errorf("%q: %+v, want %+v", c.v, got, c.want)
		}
	}
	if ParseHSTS(http.Header{}).Present {
		t.Error("absent header parsed as present")
	}
}

func TestScriptsAndCookies(t *testing.T) {
	s := Scripts([]byte(`<html><script src="/a.js"></script><script src="https://cdn.test/b.js" integrity="sha384-x"></script><script>inline()</script>`))
	if len(s) != 2 || s[0].Integrity || !s[1].Integrity {
		t.Errorf("scripts = %+v", s)
	}
	h := http.Header{}
	h.Add("Set-Cookie", "SID=1; Secure; HttpOnly; SameSite=Lax")
	h.Add("Set-Cookie", "x=2")
	c := Cookies(h)
	if len(c) != 2 || !c[0].Secure || !c[0].HTTPOnly || c[0].SameSite != "lax" || c[1].Secure {
		t.Errorf("cookies = %+v", c)
	}
}

func TestMeta(t *testing.T) {
	m := Meta([]byte(`<head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><meta name="referrer" content="origin"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0"></head>`))
	if len(m["content-security-policy"]) != 1 || m["referrer-policy"][0] != "no-referrer" || len(m) != 2 {
		t.Errorf("meta = %v", m)
	}
}

package grade

import (
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/facts"
)

func TestObservatoryGrade(t *testing.T) {
	for score, want := range map[int]string{135: "A+", 100: "A+", 99: "A", 90: "A", 89: "A-", 80: "B+", 72: "B", 65: "B-", 60: "C+", 50: "C", 45: "C-", 40: "D+", 30: "D", 25: "D-", 24: "F", 0: "F"} {
		if g := ObservatoryGrade(score); g != want {
			t.Errorf("ObservatoryGrade(%d) = %s, want %s", score, g, want)
		}
	}
}

func tlsResult(weak []string, problems []string, match bool, suites map[string][]string) *facts.Result {
	return &facts.Result{
		HTTPS: &facts.HTTPS{Live: true, Valid: true, Supports: true, Enforces: true},
		HSTS:  &facts.HSTS{Present: true, Valid: true, MaxAge: 31536000},
		TLS: &facts.TLS{Weak: weak, Suites: suites,
			Certificate: &certs.Facts{Key: "ecdsa-p256", HostnameMatch: match, Problems: problems}},
	}
}

func TestSSLLabsCaps(t *testing.T) {
	fs := map[string][]string{"tls1.3": {"TLS_AES_128_GCM_SHA256"}}
	cases := []struct {
		r    *facts.Result
		want string
	}{
		{tlsResult(nil, nil, true, fs), "A+"},
		{tlsResult([]string{"tls1.0"}, nil, true, fs), "B"},
		{tlsResult([]string{"rc4", "tls1.0"}, nil, true, fs), "C"},
		{tlsResult([]string{"export"}, nil, true, fs), "F"},
		{tlsResult(nil, []string{"expired"}, true, fs), "T"},
		{tlsResult(nil, []string{"hostname-mismatch", "expired"}, false, fs), "M"},
		{tlsResult(nil, nil, true, map[string][]string{"tls1.2": {"TLS_RSA_WITH_AES_128_GCM_SHA256"}}), "B"},
	}
	for i, c := range cases {
		if g := SSLLabs(c.r); g.Grade != c.want {
			t.Errorf("case %d: grade %s (%v), want %s", i, g.Grade, g.Reasons, c.want)
		}
	}
}

func TestDisagreementsExplain(t *testing.T) {
	r := tlsResult([]string{"tls1.0"}, nil, true, map[string][]string{"tls1.0": {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}})
	r.DNS = &facts.DNS{Addresses: []string{"192.0.2.1"}, DNSSEC: "secure"}
	r.Web = &facts.Web{}
	Apply(r)
	ds := Disagreements(r)
	found := false
	for _, d := range ds {
		if d.Standards == [2]string{"bod-18-01", "internet.nl"} && d.Part == "web" {
			found = strings.Contains(d.Why, "tls1.0")
		}
	}
	if !found {
		t.Errorf("no BOD 18-01 / internet.nl disagreement naming tls1.0: %+v", ds)
	}
}

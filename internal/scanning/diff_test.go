package scanning_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scanning"
)

func str(s string) *string { return &s }

func baseResult(at time.Time) *scan.Result {
	return &scan.Result{
		Name: "www.example.gov", ScannedAt: at,
		DNS:   &facts.DNS{Addresses: []string{"192.0.2.1"}, DNSSEC: "secure"},
		HTTPS: &facts.HTTPS{Live: true, Valid: true, Supports: true, Enforces: true},
		HSTS:  &facts.HSTS{Present: true, Valid: true, MaxAge: 31536000},
		TLS: &facts.TLS{Protocols: []string{"tls1.2", "tls1.3"}, Weak: []string{},
			Suites:      map[string][]string{"tls1.2": {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, "tls1.3": {"TLS_AES_128_GCM_SHA256"}},
			Certificate: &certs.Facts{Key: "ecdsa-p256", Signature: "ecdsa-sha256", Issuer: "CA", NotAfter: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Problems: []string{}}},
		Headers:     &facts.Headers{XContentTypeOptions: str("nosniff")},
		SecurityTxt: &facts.SecurityTxt{Status: "valid"},
		Mail: &facts.Mail{MX: []string{"mx.example.gov"}, STARTTLS: map[string]bool{"mx.example.gov": true},
			SPF: &facts.SPF{Record: str("v=spf1 mx -all"), Valid: true, ResultForMX: "pass"}, DMARC: &facts.DMARC{Policy: str("reject")}},
		Verdicts: &facts.Verdicts{BOD: &facts.PassFail{Web: str("pass"), Mail: str("pass")}, SSLLabs: &facts.SSLLabs{Grade: "A+"},
			Observ: &facts.Observatory{Score: 100, Grade: "A+"}},
	}
}

// TestDiff: the changes between two results of a name, weakening ones
// first, each dated by the previous scan.
func TestDiff(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	prev := baseResult(t0)
	cur := baseResult(t0.Add(24 * time.Hour))
	if got := scanning.Diff(prev, cur); len(got) != 0 {
		t.Fatalf("no change, yet %+v", got)
	}
	if got := scanning.Diff(nil, cur); len(got) != 0 {
		t.Fatalf("a first result has no changes: %+v", got)
	}
	cur.TLS.Protocols = []string{"tls1.0", "tls1.2", "tls1.3"}
	cur.TLS.Weak = []string{"tls1.0", "cbc"}
	cur.TLS.Suites["tls1.2"] = append(cur.TLS.Suites["tls1.2"], "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
	cur.TLS.Suites["tls1.0"] = []string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}
	cur.TLS.Certificate = &certs.Facts{Key: "rsa-2048", Signature: "sha256-rsa", Issuer: "CA", NotAfter: t0.AddDate(1, 0, 0), Problems: []string{"chain-incomplete"}}
	cur.HSTS = &facts.HSTS{Present: false}
	cur.HTTPS.Enforces = false
	cur.Headers = &facts.Headers{XContentTypeOptions: nil, ReferrerPolicy: str("no-referrer")}
	cur.SecurityTxt = &facts.SecurityTxt{Status: "expired"}
	cur.DNS.DNSSEC = "bogus"
	cur.Mail.STARTTLS["mx.example.gov"] = false
	cur.Mail.DMARC = &facts.DMARC{Policy: str("none")}
	cur.Verdicts = &facts.Verdicts{BOD: &facts.PassFail{Web: str("fail"), Mail: str("pass")}, SSLLabs: &facts.SSLLabs{Grade: "B"},
		Observ: &facts.Observatory{Score: 60, Grade: "C"}}
	got := scanning.Diff(prev, cur)
	type line struct {
		Part, Text string
		Worse      bool
	}
	var lines []line
	for _, c := range got {
		if !c.Since.Equal(t0) {
			t.Errorf("%q since %v, want the previous scan %v", c.Text, c.Since, t0)
		}
		lines = append(lines, line{c.Part, c.Text, c.Worse})
	}
	want := []line{
		{"dns", "DNSSEC went from secure to bogus", true},
		{"https", "HTTP redirecting to HTTPS (enforced) turned off", true},
		{"hsts", "HSTS turned off", true},
		{"tls", "tls1.0 turned on", true},
		{"tls", "cbc now accepted", true},
		{"certificate", "certificate problem chain-incomplete appeared", true},
		{"headers", "X-Content-Type-Options removed (was nosniff)", true},
		{"security.txt", "security.txt went from valid to expired", true},
		{"mail", "STARTTLS on mx.example.gov turned off", true},
		{"mail", "DMARC policy went from reject to none", true},
		{"grades", "BOD 18-01 web went from pass to fail", true},
		{"grades", "Observatory went from A+ (100) to C (60)", true},
		{"grades", "SSL Labs grade went from A+ to B", true},
		{"tls", "tls1.2 suites added: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false},
		{"certificate", "a new certificate: rsa-2048 sha256-rsa from CA, valid to 2027-12-03", false},
		{"headers", "Referrer-Policy added: no-referrer", false},
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}

	// The fix reads the other way round; a part one scan could not
	// measure is not compared.
	back := scanning.Diff(cur, prev)
	if !has(back, "tls1.0 turned off", false) || !has(back, "HSTS turned on", false) {
		t.Fatalf("the fix: %+v", back)
	}
	unmeasured := baseResult(t0.Add(48 * time.Hour))
	unmeasured.TLS = nil
	unmeasured.Errors = []facts.CheckError{{Check: "tls", Error: "handshake timed out"}}
	for _, c := range scanning.Diff(prev, unmeasured) {
		if c.Part == "tls" || c.Part == "certificate" {
			t.Fatalf("an unmeasured TLS part was compared: %+v", c)
		}
	}
	closed := baseResult(t0.Add(48 * time.Hour))
	closed.TLS = nil // nothing listens on 443, measured
	if !has(scanning.Diff(prev, closed), "nothing answers TLS on port 443 any more", true) {
		t.Fatalf("a closed port: %+v", scanning.Diff(prev, closed))
	}
}

func has(cs []scanning.Change, text string, worse bool) bool {
	for _, c := range cs {
		if c.Text == text && c.Worse == worse {
			return true
		}
	}
	return false
}

// TestCadence: CISA Cyber Hygiene's intervals by the worst open finding.
func TestCadence(t *testing.T) {
	for worst, want := range map[string]time.Duration{
		"critical": 12 * time.Hour, "high": 24 * time.Hour, "medium": 96 * time.Hour, "low": 144 * time.Hour,
		"info": 168 * time.Hour, "clean": 168 * time.Hour, "": 168 * time.Hour,
	} {
		if got := scanning.Interval(worst); got != want {
			t.Errorf("%q: %s, want %s", worst, got, want)
		}
	}
}

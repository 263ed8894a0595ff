package scan_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/scan/grade"
)

// farmCase is a farm target and what its scan must say.
type farmCase struct {
	target farm.Target
	check  func(t *testing.T, r *scan.Result)
}

func mod(t farm.Target, f func(*farm.Target)) farm.Target { f(&t); return t }

func noHeaders(t *farm.Target) {
	t.Site.Headers = map[string]string{"Strict-Transport-Security": "max-age=31536000"}
}

// farmCases is the farm: every target with the verdicts it must get.
func farmCases() []farmCase {
	now := time.Now()
	return []farmCase{
		{farm.Good("good"), func(t *testing.T, r *scan.Result) {
			eq(t, "dnssec", r.DNS.DNSSEC, "secure")
			eq(t, "https", *r.HTTPS, scanHTTPS(true, true, true, true, false))
			eq(t, "hsts", [3]any{r.HSTS.Present, r.HSTS.MaxAge, r.HSTS.Preload}, [3]any{true, int64(31536000), true})
			eq(t, "protocols", r.TLS.Protocols, []string{"tls1.2", "tls1.3"})
			eq(t, "weak", r.TLS.Weak, []string{})
			eq(t, "cert problems", r.TLS.Certificate.Problems, []string{})
			eq(t, "trusted", r.TLS.Certificate.Trusted, true)
			eq(t, "security.txt", r.SecurityTxt.Status, "valid")
			eq(t, "starttls", r.Mail.STARTTLSEveryMX, true)
			eq(t, "spf", r.Mail.SPF.ResultForMX, "pass")
			eq(t, "dmarc", *r.Mail.DMARC.P, "reject")
			verdicts(t, r, "pass", "pass", "pass", "pass", "A+", "A+")
			eq(t, "observatory score", r.Verdicts.Observ.Score, 130)
			eq(t, "findings", r.Findings, nil)
			eq(t, "im8", r.Verdicts.IM8, map[string]string{"st-1": "met", "ns-6": "met", "as-10": "met", "dp-3": "met", "is-12": "met", "st-3": "met"})
		}},
		{mod(farm.Good("tls10"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, Cert: farm.CertSpec{Key: "rsa-2048"},
				CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "protocols", r.TLS.Protocols, []string{"tls1.0"})
			eq(t, "suites", r.TLS.Suites["tls1.0"], []string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"})
			eq(t, "weak", r.TLS.Weak, []string{"tls1.0", "cbc", "no-aead"})
			eq(t, "key", r.TLS.Certificate.Key, "rsa-2048")
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "B")
			eq(t, "bod web", *r.Verdicts.BOD.Web, "pass") // BOD 18-01 bans SSLv2/v3, 3DES and RC4, not TLS 1.0
			eq(t, "internet.nl web", *r.Verdicts.InternetNL.Web, "fail")
			hasFinding(t, r, "tls.tls1.0")
			if len(grade.Disagreements(r)) == 0 {
				t.Errorf("no disagreement listed between BOD 18-01 and internet.nl")
			}
		}},
		{mod(farm.Good("rc4"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12, Cert: farm.CertSpec{Key: "rsa-2048"},
				CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "protocols", r.TLS.Protocols, []string{"tls1.2"})
			eq(t, "weak", r.TLS.Weak, []string{"rc4", "static-rsa"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "C")
			eq(t, "bod web", *r.Verdicts.BOD.Web, "fail")
		}},
		{mod(farm.Good("3des"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12, Cert: farm.CertSpec{Key: "rsa-2048"},
				CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "weak", r.TLS.Weak, []string{"3des"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "C")
			eq(t, "bod web", *r.Verdicts.BOD.Web, "fail")
		}},
		{mod(farm.Good("staticrsa"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12, Cert: farm.CertSpec{Key: "rsa-2048"},
				CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "weak", r.TLS.Weak, []string{"cbc", "static-rsa"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "B") // no forward secrecy
		}},
		{mod(farm.Good("cbconly"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "weak", r.TLS.Weak, []string{"cbc", "no-aead"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "B")
		}},
		{mod(farm.Good("rsa1024"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{Key: "rsa-1024"}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "key", r.TLS.Certificate.Key, "rsa-1024")
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"weak-key"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "B")
		}},
		{mod(farm.Good("sha1"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{SHA1: true}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "signature", r.TLS.Certificate.Signature, "sha1-rsa")
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"sha1-signature"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "T")
		}},
		{mod(farm.Good("expired"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{NotBefore: now.Add(-60 * 24 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"expired"})
			eq(t, "https", *r.HTTPS, scanHTTPS(true, false, false, false, false))
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "T")
			eq(t, "bod web", *r.Verdicts.BOD.Web, "fail")
			eq(t, "security.txt", r.SecurityTxt.Status, "unreachable")
			eq(t, "im8 ns-6", r.Verdicts.IM8["ns-6"], "not-met")
		}},
		{mod(farm.Good("notyet"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"not-yet-valid"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "T")
		}},
		{mod(farm.Good("selfsigned"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{SelfSigned: true}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"self-signed"})
			eq(t, "valid", r.HTTPS.Valid, false)
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "T")
		}},
		{mod(farm.Good("wronghost"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{Names: []string{"other.kubu.test"}}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"hostname-mismatch"})
			eq(t, "hostname_match", r.TLS.Certificate.HostnameMatch, false)
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "M")
		}},
		{mod(farm.Good("incomplete"), func(t *farm.Target) {
			t.HTTPS = &farm.TLSSpec{CipherSuites: farm.AEAD, Cert: farm.CertSpec{NoChain: true}}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "problems", r.TLS.Certificate.Problems, []string{"chain-incomplete"})
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "B")
		}},
		{mod(farm.Good("nohsts"), func(t *farm.Target) {
			t.Site.Headers = map[string]string{"X-Content-Type-Options": "nosniff"}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "hsts", *r.HSTS, scanHSTS(false, 0))
			eq(t, "bod web", *r.Verdicts.BOD.Web, "fail")
			eq(t, "observatory hsts", r.Verdicts.Observ.Tests["strict-transport-security"], "hsts-not-implemented")
			eq(t, "ssllabs", r.Verdicts.SSLLabs.Grade, "A")
			hasFinding(t, r, "hsts.missing")
		}},
		{mod(farm.Good("shorthsts"), func(t *farm.Target) {
			t.Site.Headers = map[string]string{"Strict-Transport-Security": "max-age=86400"}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "hsts", *r.HSTS, scanHSTS(true, 86400))
			eq(t, "bod web", *r.Verdicts.BOD.Web, "fail")
			eq(t, "observatory hsts", r.Verdicts.Observ.Tests["strict-transport-security"], "hsts-implemented-max-age-less-than-six-months")
		}},
		{mod(farm.Good("noredirect"), func(t *farm.Target) { t.Site.HTTP = "serve" }), func(t *testing.T, r *scan.Result) {
			eq(t, "https", *r.HTTPS, scanHTTPS(true, true, true, false, false))
			eq(t, "observatory redirection", r.Verdicts.Observ.Tests["redirection"], "redirection-missing")
			hasFinding(t, r, "https.not-enforced")
		}},
		{mod(farm.Good("downgrade"), func(t *farm.Target) { t.Site.Downgrade = true; t.Site.HTTP = "serve" }), func(t *testing.T, r *scan.Result) {
			eq(t, "downgrades", r.HTTPS.Downgrades, true)
			eq(t, "supports", r.HTTPS.Supports, false)
			hasFinding(t, r, "https.downgrades")
		}},
		{mod(farm.Good("towww"), func(t *farm.Target) { t.Site.ToWWW = true }), func(t *testing.T, r *scan.Result) {
			eq(t, "canonical", r.HTTPS.Canonical, "www."+r.Name)
			eq(t, "https", *r.HTTPS, scanHTTPS(true, true, true, true, false))
			eq(t, "redirects", r.HTTPS.Redirects, []string{"http://" + r.Name + "/", "https://www." + r.Name + "/"})
			eq(t, "observatory redirection", r.Verdicts.Observ.Tests["redirection"], "redirection-off-host-from-http")
			eq(t, "hsts", *r.HSTS, scanHSTS(true, 31536000))
		}},
		{mod(farm.Good("httponly"), func(t *farm.Target) { t.HTTPS = nil; t.Site.HTTP = "serve" }), func(t *testing.T, r *scan.Result) {
			if r.TLS != nil {
				t.Errorf("tls = %+v, want null (nothing on 443)", r.TLS)
			}
			eq(t, "https", *r.HTTPS, scanHTTPS(true, false, false, false, false))
			if r.HSTS != nil || r.Verdicts.SSLLabs != nil {
				t.Errorf("hsts and ssllabs must be null without HTTPS")
			}
			eq(t, "security.txt", r.SecurityTxt.Status, "unreachable")
		}},
		{mod(farm.Good("noheaders"), noHeaders), func(t *testing.T, r *scan.Result) {
			if r.Headers.CSP != nil || r.Headers.XFrameOptions != nil || r.Headers.XContentTypeOptions != nil {
				t.Errorf("headers = %+v, want nulls", r.Headers)
			}
			eq(t, "observatory", [2]any{r.Verdicts.Observ.Score, r.Verdicts.Observ.Grade}, [2]any{50, "C"})
		}},
		{mod(farm.Good("cookies"), func(t *farm.Target) {
			t.Site.Headers = map[string]string{"Strict-Transport-Security": "max-age=31536000", "Set-Cookie": "SESSIONID=1; Path=/", "Content-Security-Policy": "script-src 'unsafe-inline'"}
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "cookies", r.Verdicts.Observ.Tests["cookies"], "cookies-session-without-httponly-flag")
			eq(t, "csp", r.Verdicts.Observ.Tests["content-security-policy"], "csp-implemented-with-unsafe-inline")
		}},
		{mod(farm.Good("metacsp"), func(t *farm.Target) {
			t.Site.Headers = map[string]string{"Strict-Transport-Security": "max-age=31536000", "X-Frame-Options": "DENY"}
			t.Site.Body = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-eval'"><meta name="referrer" content="strict-origin"></head><body><script src="/app.js"></script></body></html>`
		}), func(t *testing.T, r *scan.Result) {
			eq(t, "csp", r.Verdicts.Observ.Tests["content-security-policy"], "csp-implemented-with-unsafe-eval")
			eq(t, "referrer", r.Verdicts.Observ.Tests["referrer-policy"], "referrer-policy-private")
			eq(t, "sri", r.Verdicts.Observ.Tests["subresource-integrity"], "sri-not-implemented-but-all-scripts-loaded-from-secure-origin")
			if r.Headers.CSP != nil {
				t.Errorf("headers.content-security-policy = %q, want null (the policy is in a <meta>)", *r.Headers.CSP)
			}
		}},
		{mod(farm.Good("sectxt-expired"), func(t *farm.Target) { t.Site.SecurityTxt = farm.SecurityTxt(now.Add(-time.Hour)) }), func(t *testing.T, r *scan.Result) {
			eq(t, "security.txt", r.SecurityTxt.Status, "expired")
			hasFinding(t, r, "security-txt.expired")
		}},
		{mod(farm.Good("sectxt-invalid"), func(t *farm.Target) { t.Site.SecurityTxt = "Expires: 2099-01-01T00:00:00Z\n" }), func(t *testing.T, r *scan.Result) {
			eq(t, "security.txt", r.SecurityTxt.Status, "invalid")
		}},
		{mod(farm.Good("sectxt-html"), func(t *farm.Target) { t.Site.SecurityTxtType = "text/html" }), func(t *testing.T, r *scan.Result) {
			eq(t, "security.txt", r.SecurityTxt.Status, "invalid")
		}},
		{mod(farm.Good("sectxt-missing"), func(t *farm.Target) { t.Site.SecurityTxt = "" }), func(t *testing.T, r *scan.Result) {
			eq(t, "security.txt", r.SecurityTxt.Status, "missing")
			eq(t, "internet.nl web", *r.Verdicts.InternetNL.Web, "fail")
			eq(t, "im8 st-3", r.Verdicts.IM8["st-3"], "not-met")
		}},
		{mod(farm.Good("insecure"), func(t *farm.Target) { t.Zone = farm.Unsigned }), func(t *testing.T, r *scan.Result) {
			eq(t, "dnssec", r.DNS.DNSSEC, "insecure")
			eq(t, "internet.nl web", *r.Verdicts.InternetNL.Web, "fail")
			eq(t, "bod web", *r.Verdicts.BOD.Web, "pass")
		}},
		{mod(farm.Good("bogus"), func(t *farm.Target) { t.Zone = farm.Broken }), func(t *testing.T, r *scan.Result) {
			eq(t, "dnssec", r.DNS.DNSSEC, "bogus")
			hasFinding(t, r, "dnssec.bogus")
		}},
		{mod(farm.Good("nostarttls"), func(t *farm.Target) { t.STARTTLS = nil }), func(t *testing.T, r *scan.Result) {
			mx := "mail." + r.Name
			eq(t, "starttls", r.Mail.STARTTLS, map[string]bool{mx: false})
			eq(t, "every mx", r.Mail.STARTTLSEveryMX, false)
			eq(t, "bod mail", *r.Verdicts.BOD.Mail, "fail")
			hasFinding(t, r, "mail.starttls")
		}},
		{mod(farm.Good("mail3des"), func(t *farm.Target) {
			t.STARTTLS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12, Cert: farm.CertSpec{Key: "rsa-2048"}, CipherSuites: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
		}), func(t *testing.T, r *scan.Result) {
			mt := r.Mail.TLS["mail."+r.Name]
			eq(t, "mail weak", mt.Weak, []string{"3des", "static-rsa"})
			eq(t, "bod mail", *r.Verdicts.BOD.Mail, "fail")
		}},
		{mod(farm.Good("mailonly"), func(t *farm.Target) { t.NoAddress = true; t.HTTPS = nil }), func(t *testing.T, r *scan.Result) {
			if r.HTTPS != nil || r.TLS != nil || r.Headers != nil || r.SecurityTxt != nil || r.Verdicts.BOD.Web != nil {
				t.Errorf("web parts must be null for a name without address")
			}
			eq(t, "bod mail", *r.Verdicts.BOD.Mail, "pass")
		}},
		{mod(farm.Good("nomail"), func(t *farm.Target) { t.MX = false }), func(t *testing.T, r *scan.Result) {
			if r.Mail != nil || r.Verdicts.BOD.Mail != nil {
				t.Errorf("mail must be null without MX")
			}
		}},
		{mod(farm.Good("spfbad"), func(t *farm.Target) { t.SPF = "v=spf1 ip4:999.1.1.1 -all" }), func(t *testing.T, r *scan.Result) {
			eq(t, "spf valid", r.Mail.SPF.Valid, false)
			eq(t, "spf result", r.Mail.SPF.ResultForMX, "permerror")
			hasFinding(t, r, "spf.invalid")
		}},
		{mod(farm.Good("spfsoft"), func(t *farm.Target) { t.SPF = "v=spf1 ~all" }), func(t *testing.T, r *scan.Result) {
			eq(t, "spf result", r.Mail.SPF.ResultForMX, "softfail")
		}},
		{mod(farm.Good("nospf"), func(t *farm.Target) { t.SPF = ""; t.DMARC = "" }), func(t *testing.T, r *scan.Result) {
			if r.Mail.SPF.Record != nil || r.Mail.DMARC.Record != nil {
				t.Errorf("spf/dmarc record must be null")
			}
			eq(t, "spf result", r.Mail.SPF.ResultForMX, "none")
			hasFinding(t, r, "spf.missing")
			hasFinding(t, r, "dmarc.missing")
		}},
		{mod(farm.Good("dmarcnone"), func(t *farm.Target) { t.DMARC = "v=DMARC1; p=none" }), func(t *testing.T, r *scan.Result) {
			eq(t, "dmarc p", *r.Mail.DMARC.P, "none")
			eq(t, "bod mail", *r.Verdicts.BOD.Mail, "fail")
			eq(t, "internet.nl mail", *r.Verdicts.InternetNL.Mail, "fail")
		}},
	}
}

func scanHTTPS(live, valid, supports, enforces, downgrades bool) [5]bool {
	return [5]bool{live, valid, supports, enforces, downgrades}
}

func scanHSTS(present bool, maxAge int64) [2]any { return [2]any{present, maxAge} }

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	switch g := got.(type) {
	case scan.HTTPSFacts:
		got = [5]bool{g.Live, g.Valid, g.Supports, g.Enforces, g.Downgrades}
	case scan.HSTSFacts:
		got = [2]any{g.Present, g.MaxAge}
	}
	if w, ok := want.([]string); ok && w == nil {
		want = []string{}
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if wantF, ok := want.(interface{ Len() int }); ok && wantF == nil {
		return
	}
	if string(gj) != string(wj) && !(string(wj) == "null" && string(gj) == "[]") {
		t.Errorf("%s = %s, want %s", what, gj, wj)
	}
}

func verdicts(t *testing.T, r *scan.Result, bodWeb, bodMail, nlWeb, nlMail, obsGrade, ssl string) {
	t.Helper()
	v := r.Verdicts
	got := []string{*v.BOD.Web, *v.BOD.Mail, *v.InternetNL.Web, *v.InternetNL.Mail, v.Observ.Grade, v.SSLLabs.Grade}
	want := []string{bodWeb, bodMail, nlWeb, nlMail, obsGrade, ssl}
	if !slices.Equal(got, want) {
		b, _ := json.MarshalIndent(v, "", " ")
		t.Errorf("verdicts = %v, want %v\n%s", got, want, b)
	}
}

func hasFinding(t *testing.T, r *scan.Result, check string) {
	t.Helper()
	for _, f := range r.Findings {
		if f.Check == check {
			return
		}
	}
	t.Errorf("no finding %s in %+v", check, r.Findings)
}

// sharedFarm starts the farm once for the package's tests.
var sharedFarm = sync.OnceValues(func() (*farmRun, error) {
	f, err := farm.New(77)
	if err != nil {
		return nil, err
	}
	run := &farmRun{f: f, names: map[string]string{}, started: map[string]*farm.Started{}}
	for _, c := range farmCases() {
		st, err := f.Add(c.target)
		if err != nil {
			return nil, err
		}
		run.names[c.target.Label] = st.Name
		run.started[c.target.Label] = st
		run.targets = append(run.targets, c.target)
	}
	return run, nil
})

type farmRun struct {
	f       *farm.Farm
	names   map[string]string
	started map[string]*farm.Started
	targets []farm.Target

	mu      sync.Mutex
	results map[string]*scan.Result
}

// result scans a farm target once and keeps the answer.
func (run *farmRun) result(t *testing.T, label string) *scan.Result {
	t.Helper()
	run.mu.Lock()
	defer run.mu.Unlock()
	if r, ok := run.results[label]; ok {
		return r
	}
	s, err := scan.New(options(run.f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Scan(context.Background(), run.names[label])
	if err != nil {
		t.Fatal(err)
	}
	if run.results == nil {
		run.results = map[string]*scan.Result{}
	}
	run.results[label] = r
	return r
}

func scannerFor(t testing.TB, f *farm.Farm) *scan.Scanner {
	s, err := scan.New(options(f))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func options(f *farm.Farm) scan.Options {
	return scan.Options{
		Resolver: f.DNS.Addr, Roots: f.Roots(), Intermediates: []*x509.Certificate{f.CA.Intermediate},
		TrustAnchors: f.Anchors(), Ports: scan.Ports{HTTP: f.Ports.HTTP, HTTPS: f.Ports.HTTPS, SMTP: f.Ports.SMTP},
		Timeouts: scan.Timeouts{DNS: 5 * time.Second, Handshake: 15 * time.Second, HTTP: 15 * time.Second, Check: time.Minute}, // loopback, but CI runs many packages at once on 2 cores
	}
}

func TestFarm(t *testing.T) {
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	s := scannerFor(t, run.f)
	var names []string
	cases := farmCases()
	for _, c := range cases {
		names = append(names, run.names[c.target.Label])
	}
	results := map[string]*scan.Result{}
	s.ScanAll(context.Background(), names, func(r *scan.Result, err error) {
		if err != nil {
			t.Errorf("scan: %v", err)
			return
		}
		results[r.Name] = r
	})
	for _, c := range cases {
		t.Run(c.target.Label, func(t *testing.T) {
			r := results[run.names[c.target.Label]]
			if r == nil {
				t.Fatal("no result")
			}
			if len(r.Errors) > 0 {
				t.Errorf("check errors: %+v", r.Errors)
			}
			c.check(t, r)
			if t.Failed() {
				b, _ := json.MarshalIndent(r, "", "  ")
				t.Logf("%s", strings.ReplaceAll(string(b), "\n", "\n    "))
			}
		})
	}
}

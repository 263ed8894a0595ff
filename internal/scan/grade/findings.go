package grade

import (
	"fmt"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// Severity of each check, by CISA CyHy-like buckets.
var checkSeverity = map[string]string{
	"cert.expired": "high", "cert.not-yet-valid": "high", "cert.self-signed": "high", "cert.untrusted-issuer": "high",
	"cert.hostname-mismatch": "high", "cert.chain-incomplete": "medium", "cert.weak-key": "high", "cert.sha1-signature": "medium",
	"https.missing": "high", "https.not-enforced": "medium", "https.downgrades": "high",
	"hsts.missing": "medium", "hsts.short": "low", "hsts.invalid": "medium",
	"tls.ssl2": "critical", "tls.ssl3": "high", "tls.tls1.0": "medium", "tls.tls1.1": "medium", "tls.rc4": "high", "tls.3des": "medium",
	"tls.null": "critical", "tls.export": "critical", "tls.anon": "critical", "tls.des": "high",
	"tls.static-rsa": "low", "tls.cbc": "low", "tls.no-aead": "medium",
	"dnssec.bogus": "high", "dnssec.insecure": "low",
	"security-txt.missing": "low", "security-txt.expired": "low", "security-txt.invalid": "low", "security-txt.unreachable": "low",
	"mail.starttls": "high", "mail.tls": "medium", "spf.missing": "medium", "spf.invalid": "medium", "spf.permissive": "medium",
	"dmarc.missing": "medium", "dmarc.invalid": "medium", "dmarc.not-reject": "low", "dmarc.no-rua": "low",
	"headers.csp": "info", "headers.x-frame-options": "low", "headers.x-content-type-options": "low",
}

// Severity returns a check's severity ("info" when unknown).
func Severity(check string) string {
	if s, ok := checkSeverity[check]; ok {
		return s
	}
	return "info"
}

// Findings lists the failed checks of a result (contract §9 findings).
func Findings(r *facts.Result) []facts.Finding {
	out := []facts.Finding{}
	add := func(check, title string) {
		out = append(out, facts.Finding{Check: check, Severity: Severity(check), Title: title})
	}
	if webApplies(r) {
		h := r.HTTPS
		switch {
		case !h.Supports && !h.Valid:
			add("https.missing", "HTTPS is not available with a valid certificate on "+h.Canonical)
		case h.Downgrades:
			add("https.downgrades", "HTTPS redirects to HTTP on "+h.Canonical)
		case !h.Enforces:
			add("https.not-enforced", "HTTP does not redirect to HTTPS")
		}
		if r.HSTS != nil {
			switch {
			case !r.HSTS.Present:
				add("hsts.missing", "No HSTS header")
			case !r.HSTS.Valid:
				add("hsts.invalid", "The HSTS header is malformed")
			case r.HSTS.MaxAge < BODMinHSTS:
				add("hsts.short", fmt.Sprintf("HSTS max-age %d is below one year", r.HSTS.MaxAge))
			}
		}
		if hd := r.Headers; hd != nil {
			if hd.XFrameOptions == nil && hd.CSP == nil {
				add("headers.x-frame-options", "No X-Frame-Options or CSP frame-ancestors")
			}
			if hd.XContentTypeOptions == nil {
				add("headers.x-content-type-options", "No X-Content-Type-Options: nosniff")
			}
			if hd.CSP == nil {
				add("headers.csp", "No Content-Security-Policy")
			}
		}
		if st := r.SecurityTxt; st != nil && st.Status != "valid" {
			add("security-txt."+st.Status, "security.txt is "+st.Status)
		}
	}
	if t := r.TLS; t != nil {
		for _, w := range t.Weak {
			add("tls."+w, "TLS on port 443 accepts "+w)
		}
		for _, p := range certProblems(t) {
			add("cert."+p, "Certificate problem: "+p)
		}
	}
	if r.DNS != nil && r.DNS.DNSSEC != "secure" {
		add("dnssec."+r.DNS.DNSSEC, "DNSSEC is "+r.DNS.DNSSEC)
	}
	if m := r.Mail; m != nil {
		for _, mx := range m.MX {
			if !m.STARTTLS[mx] {
				add("mail.starttls", mx+" does not offer STARTTLS")
			}
			if t := m.TLS[mx]; t != nil {
				for _, w := range t.Weak {
					if w == "ssl2" || w == "ssl3" || w == "rc4" || w == "3des" || w == "null" || w == "export" || w == "anon" || w == "des" {
						add("mail.tls", mx+" accepts "+w)
					}
				}
			}
		}
		switch {
		case m.SPF == nil || m.SPF.Record == nil:
			add("spf.missing", "No SPF record")
		case !m.SPF.Valid:
			add("spf.invalid", "The SPF record is not valid")
		}
		switch {
		case m.DMARC == nil || m.DMARC.Record == nil:
			add("dmarc.missing", "No DMARC record")
		case m.DMARC.Policy == nil:
			add("dmarc.invalid", "The DMARC record is not valid")
		default:
			if *m.DMARC.Policy != "reject" {
				add("dmarc.not-reject", "DMARC policy is "+*m.DMARC.Policy)
			}
			if len(m.DMARC.RUA) == 0 {
				add("dmarc.no-rua", "DMARC sends no aggregate reports")
			}
		}
	}
	return out
}

package grade

import (
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// InternetNL judges the internet.nl-style mandatory items the facts cover.
// Web: IPv6 address, DNSSEC, HTTPS available and enforced, HSTS of at least
// a year, TLS 1.2+ only, no insufficient ciphers (RC4, 3DES, NULL, export,
// anonymous, DES), a trusted matching certificate with a strong key and a
// SHA-2 signature, X-Content-Type-Options: nosniff, a valid security.txt.
// Mail: IPv6 and DNSSEC for the domain and every MX, STARTTLS with the same
// TLS rules on every MX, SPF valid and not +all/?all, DMARC with p=quarantine
// or reject. DANE and RPKI are not measured, so they are not judged.
func InternetNL(r *facts.Result) *facts.PassFail {
	pf := &facts.PassFail{Reasons: map[string][]string{}}
	if webApplies(r) {
		var why []string
		if !hasIPv6(r.DNS.Addresses) {
			why = append(why, "no IPv6 address (AAAA)")
		}
		if r.DNS.DNSSEC != "secure" {
			why = append(why, "DNSSEC is "+r.DNS.DNSSEC)
		}
		switch {
		case !r.HTTPS.Supports:
			why = append(why, "HTTPS is not available with a valid certificate")
		case !r.HTTPS.Enforces:
			why = append(why, "HTTP does not redirect to HTTPS")
		}
		if r.HSTS == nil || !r.HSTS.Present || r.HSTS.MaxAge < 31536000 {
			why = append(why, "HSTS missing or max-age below one year")
		}
		why = append(why, nlTLS("the web server", r.TLS, true)...)
		if r.Headers == nil || r.Headers.XContentTypeOptions == nil || !strings.EqualFold(strings.TrimSpace(*r.Headers.XContentTypeOptions), "nosniff") {
			why = append(why, "X-Content-Type-Options is not nosniff")
		}
		if r.SecurityTxt == nil || r.SecurityTxt.Status != "valid" {
			st := "missing"
			if r.SecurityTxt != nil {
				st = r.SecurityTxt.Status
			}
			why = append(why, "security.txt is "+st)
		}
		pf.Web, pf.Reasons["web"] = verdict(why), nonNil(why)
	}
	if m := r.Mail; m != nil {
		var why []string
		if r.DNS != nil && r.DNS.DNSSEC != "secure" {
			why = append(why, "DNSSEC of the mail domain is "+r.DNS.DNSSEC)
		}
		for _, mx := range m.MX {
			if st := m.DNSSEC[mx]; st != "secure" {
				why = append(why, "DNSSEC of "+mx+" is "+orMissing(st))
			}
			if !m.STARTTLS[mx] {
				why = append(why, mx+" does not offer STARTTLS")
				continue
			}
			why = append(why, nlTLS(mx, m.TLS[mx], false)...)
		}
		switch {
		case m.SPF == nil || m.SPF.Record == nil:
			why = append(why, "no SPF record")
		case !m.SPF.Valid:
			why = append(why, "the SPF record is not valid")
		case strings.Contains(*m.SPF.Record, "+all") || strings.HasSuffix(*m.SPF.Record, " all") || strings.Contains(*m.SPF.Record, "?all"):
			why = append(why, "the SPF policy is too permissive ("+*m.SPF.Record+")")
		}
		switch {
		case m.DMARC == nil || m.DMARC.Policy == nil:
			why = append(why, "no valid DMARC record")
		case *m.DMARC.Policy == "none":
			why = append(why, "DMARC policy p=none is not sufficiently strict")
		}
		pf.Mail, pf.Reasons["mail"] = verdict(why), nonNil(why)
	}
	return pf
}

func orMissing(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func nlTLS(who string, t *facts.TLS, web bool) []string {
	if t == nil {
		if web {
			return []string{who + " has no TLS on port 443"}
		}
		return nil
	}
	var why []string
	for _, w := range []string{"ssl2", "ssl3", "tls1.0", "tls1.1", "rc4", "3des", "null", "export", "anon", "des"} {
		if has(t.Weak, w) {
			why = append(why, who+" accepts "+w+" (insufficient)")
		}
	}
	if web && t.Certificate != nil {
		for _, p := range t.Certificate.Problems {
			why = append(why, who+" certificate: "+p)
		}
	}
	return why
}

func hasIPv6(addrs []string) bool {
	for _, a := range addrs {
		if strings.Contains(a, ":") {
			return true
		}
	}
	return false
}

package grade

import (
	"fmt"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// BODMinHSTS is BOD 18-01's "strong HSTS": max-age of at least one year.
const BODMinHSTS = 31536000

// BOD judges BOD 18-01 web (pshtt: Domain Enforces HTTPS, Domain Uses
// Strong HSTS, no SSLv2/v3, no 3DES or RC4) and mail (trustymail: STARTTLS
// on every MX, valid SPF, DMARC p=reject with aggregate reports, no
// SSLv2/v3, 3DES or RC4 on the mail servers).
func BOD(r *facts.Result) *facts.PassFail {
	pf := &facts.PassFail{Reasons: map[string][]string{}}
	if webApplies(r) {
		var why []string
		h := r.HTTPS
		if !h.Supports {
			switch {
			case !h.Valid:
				why = append(why, "HTTPS is not supported: the canonical HTTPS endpoint has no valid certificate")
			case h.Downgrades:
				why = append(why, "HTTPS is not supported: the canonical HTTPS endpoint redirects to HTTP")
			default:
				why = append(why, "HTTPS is not supported")
			}
		} else if !h.Enforces {
			why = append(why, "HTTPS is not enforced: an HTTP endpoint does not redirect to HTTPS")
		}
		switch {
		case r.HSTS == nil || !r.HSTS.Present:
			why = append(why, "no HSTS header on the canonical HTTPS endpoint")
		case !r.HSTS.Valid:
			why = append(why, "the HSTS header is malformed")
		case r.HSTS.MaxAge < BODMinHSTS:
			why = append(why, fmt.Sprintf("HSTS max-age %d is below %d", r.HSTS.MaxAge, BODMinHSTS))
		}
		why = append(why, bodTLS("the web server", r.TLS)...)
		pf.Web, pf.Reasons["web"] = verdict(why), nonNil(why)
	}
	if m := r.Mail; m != nil {
		var why []string
		for _, mx := range m.MX {
			if !m.STARTTLS[mx] {
				why = append(why, mx+" does not offer STARTTLS")
			}
			why = append(why, bodTLS(mx, m.TLS[mx])...)
		}
		switch {
		case m.SPF == nil || m.SPF.Record == nil:
			why = append(why, "no SPF record")
		case !m.SPF.Valid:
			why = append(why, "the SPF record is not valid: "+m.SPF.Error)
		}
		switch {
		case m.DMARC == nil || m.DMARC.Record == nil:
			why = append(why, "no DMARC record")
		case m.DMARC.Policy == nil:
			why = append(why, "the DMARC record is not valid: "+m.DMARC.Error)
		default:
			if *m.DMARC.Policy != "reject" {
				why = append(why, "DMARC policy for this name is "+*m.DMARC.Policy+", not reject")
			}
			if m.DMARC.Pct != 100 {
				why = append(why, fmt.Sprintf("DMARC pct=%d, not 100", m.DMARC.Pct))
			}
			if len(m.DMARC.RUA) == 0 {
				why = append(why, "DMARC has no rua (aggregate report) address")
			}
		}
		pf.Mail, pf.Reasons["mail"] = verdict(why), nonNil(why)
	}
	return pf
}

func bodTLS(who string, t *facts.TLS) []string {
	if t == nil {
		return nil
	}
	var why []string
	for _, w := range []string{"ssl2", "ssl3", "3des", "rc4"} {
		if has(t.Weak, w) {
			why = append(why, who+" accepts "+w)
		}
	}
	return why
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

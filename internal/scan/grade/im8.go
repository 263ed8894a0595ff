package grade

import (
	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// IM8Control maps an IM8 (Reform) control to the checks that bear on it.
// The readiness prong joins these with a system's plan.
type IM8Control struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Checks []string `json:"checks"` // finding check names that fail it
}

// IM8Controls is the mapping data (IM8 Reform catalog ids, as in
// shared/corpus/im8/im8-reform.json).
var IM8Controls = []IM8Control{
	{"st-1", "Vulnerability Assessment", nil}, // met by being scanned at all
	{"ns-6", "Valid and Trusted SSL/TLS Certificates", []string{"cert.expired", "cert.not-yet-valid", "cert.self-signed", "cert.untrusted-issuer", "cert.hostname-mismatch", "cert.chain-incomplete", "cert.weak-key", "cert.sha1-signature"}},
	{"as-10", "HTTP Strict Transport Security (HSTS)", []string{"hsts.missing", "hsts.short", "hsts.invalid"}},
	{"dp-3", "Data in Transit Encryption", []string{"https.missing", "https.not-enforced", "https.downgrades", "tls.ssl2", "tls.ssl3", "tls.tls1.0", "tls.tls1.1", "tls.rc4", "tls.3des", "tls.null", "tls.export", "tls.anon", "tls.des", "mail.starttls"}},
	{"is-12", "DNS Security Extensions (DNSSEC)", []string{"dnssec.insecure", "dnssec.bogus"}},
	{"st-3", "Vulnerability Disclosure Programme", []string{"security-txt.missing", "security-txt.expired", "security-txt.invalid", "security-txt.unreachable"}},
}

// IM8 says, per control, "met", "not-met" or "not-applicable" from the
// findings the scan produced.
func IM8(r *facts.Result) map[string]string {
	fs := Findings(r)
	failed := map[string]bool{}
	for _, f := range fs {
		failed[f.Check] = true
	}
	out := map[string]string{}
	for _, c := range IM8Controls {
		state := "met"
		applies := true
		switch c.ID {
		case "ns-6", "as-10":
			applies = r.TLS != nil || webApplies(r)
		case "dp-3":
			applies = webApplies(r) || r.Mail != nil
		case "is-12":
			applies = r.DNS != nil
		case "st-3":
			applies = webApplies(r)
		}
		for _, ch := range c.Checks {
			if failed[ch] {
				state = "not-met"
			}
		}
		if !applies {
			state = "not-applicable"
		}
		out[c.ID] = state
	}
	return out
}

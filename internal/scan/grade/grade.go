// Package grade judges a scan's facts under several standards, each a
// versioned profile: BOD 18-01 (pshtt/trustymail), internet.nl-style web and
// mail, the MDN HTTP Observatory score, an SSL Labs-style grade and the IM8
// controls the facts bear on. Every verdict carries its reasons; Disagreements
// explains where two standards judge the same name differently.
package grade

import (
	"slices"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// Profile versions: bump one when its rules change, so stored verdicts say
// which rules made them.
const (
	BODVersion         = "bod-18-01/pshtt-trustymail/1"
	InternetNLVersion  = "internet.nl-style/ncsc-tls-2025/1"
	ObservatoryVersion = "mdn-http-observatory/1.4.8-scoring/1"
	SSLLabsVersion     = "ssllabs-rating-guide-2020/1"
	IM8Version         = "im8-reform-2025/1"
)

// Apply fills r.Verdicts and r.Findings from the facts in r.
func Apply(r *facts.Result) {
	v := &facts.Verdicts{
		BOD:        BOD(r),
		InternetNL: InternetNL(r),
		Observ:     Observatory(r),
		SSLLabs:    SSLLabs(r),
		IM8:        IM8(r),
		Versions: map[string]string{
			"bod-18-01": BODVersion, "internet.nl": InternetNLVersion, "observatory": ObservatoryVersion,
			"ssllabs": SSLLabsVersion, "im8": IM8Version,
		},
	}
	r.Verdicts = v
	r.Findings = Findings(r)
}

func str(s string) *string { return &s }

func verdict(reasons []string) *string {
	if len(reasons) == 0 {
		return str("pass")
	}
	return str("fail")
}

func has(s []string, v string) bool { return slices.Contains(s, v) }

// webApplies says whether the name has live web endpoints to judge.
func webApplies(r *facts.Result) bool { return r.HTTPS != nil && r.HTTPS.Live }

// certProblems returns the certificate's problems (nil without TLS).
func certProblems(t *facts.TLS) []string {
	if t == nil || t.Certificate == nil {
		return nil
	}
	return t.Certificate.Problems
}

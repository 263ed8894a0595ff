package scanning

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// Change is one difference between a name's result and the one before:
// "tls1.0 turned on" since the previous scan.
type Change struct {
	Part  string    `json:"part"`  // dns, https, hsts, tls, certificate, headers, security.txt, mail, grades
	Text  string    `json:"text"`  // what changed
	Worse bool      `json:"worse"` // the change weakens the name
	Since time.Time `json:"since"` // when the previous scan ran
}

// Diff lists what changed between two results of one name, the weakening
// changes first. A first result (prev nil) has no changes. Only measured
// parts are compared: a part one of the two scans could not measure (null)
// is reported as appearing or disappearing only where that is a fact
// (nothing answering on 443 any more), never guessed.
func Diff(prev, cur *scan.Result) []Change {
	out := []Change{}
	if prev == nil || cur == nil {
		return out
	}
	d := differ{since: prev.ScannedAt}
	d.dns(prev, cur)
	d.https(prev.HTTPS, cur.HTTPS)
	d.hsts(prev.HSTS, cur.HSTS)
	d.tls("tls", "443", prev.TLS, cur.TLS, tlsMeasured(prev), tlsMeasured(cur))
	d.headers(prev.Headers, cur.Headers)
	d.securityTxt(prev.SecurityTxt, cur.SecurityTxt)
	d.mail(prev, cur)
	d.grades(prev.Verdicts, cur.Verdicts)
	out = d.out
	slices.SortStableFunc(out, func(a, b Change) int {
		switch {
		case a.Worse == b.Worse:
			return 0
		case a.Worse:
			return -1
		}
		return 1
	})
	return out
}

type differ struct {
	since time.Time
	out   []Change
}

func (d *differ) add(part string, worse bool, format string, a ...any) {
	d.out = append(d.out, Change{Part: part, Text: fmt.Sprintf(format, a...), Worse: worse, Since: d.since})
}

// flip reports a boolean fact that turned on or off; goodOn says whether on
// is the good state.
func (d *differ) flip(part, what string, was, is, goodOn bool) {
	if was == is {
		return
	}
	if is {
		d.add(part, !goodOn, "%s turned on", what)
	} else {
		d.add(part, goodOn, "%s turned off", what)
	}
}

var dnssecRank = map[string]int{"secure": 0, "insecure": 1, "bogus": 2}

func (d *differ) dns(prev, cur *scan.Result) {
	p, c := prev.DNS, cur.DNS
	if p == nil || c == nil {
		return
	}
	if !sameSet(p.Addresses, c.Addresses) {
		d.add("dns", false, "addresses changed from %s to %s", orNone(p.Addresses), orNone(c.Addresses))
	}
	if p.DNSSEC != c.DNSSEC {
		d.add("dns", dnssecRank[c.DNSSEC] > dnssecRank[p.DNSSEC], "DNSSEC went from %s to %s", p.DNSSEC, c.DNSSEC)
	}
}

func (d *differ) https(p, c *facts.HTTPS) {
	if p == nil || c == nil {
		return
	}
	d.flip("https", "the site answering (live)", p.Live, c.Live, true)
	d.flip("https", "HTTPS with a valid certificate", p.Valid, c.Valid, true)
	d.flip("https", "HTTP redirecting to HTTPS (enforced)", p.Enforces, c.Enforces, true)
	d.flip("https", "HTTPS redirecting to HTTP (downgrade)", p.Downgrades, c.Downgrades, false)
}

func (d *differ) hsts(p, c *facts.HSTS) {
	if p == nil || c == nil {
		return
	}
	d.flip("hsts", "HSTS", p.Present, c.Present, true)
	if p.Present && c.Present {
		if p.MaxAge != c.MaxAge {
			d.add("hsts", c.MaxAge < p.MaxAge, "HSTS max-age went from %d to %d", p.MaxAge, c.MaxAge)
		}
		d.flip("hsts", "HSTS includeSubDomains", p.IncludeSubdomains, c.IncludeSubdomains, true)
		d.flip("hsts", "HSTS preload", p.Preload, c.Preload, true)
		d.flip("hsts", "a valid HSTS header", p.Valid, c.Valid, true)
	}
}

// tlsMeasured says whether the result measured port 443 (TLS facts, or a
// clean "nothing listens": web measured without a tls error).
func tlsMeasured(r *scan.Result) bool {
	if r.TLS != nil {
		return true
	}
	return r.DNS != nil && len(r.DNS.Addresses) > 0 && !hasError(r, "tls")
}

var strongProtocols = map[string]bool{"tls1.2": true, "tls1.3": true}

func (d *differ) tls(part, port string, p, c *facts.TLS, pMeasured, cMeasured bool) {
	if !pMeasured || !cMeasured {
		return
	}
	switch {
	case p == nil && c == nil:
		return
	case p == nil:
		d.add(part, false, "TLS on port %s appeared (%s)", port, strings.Join(c.Protocols, " "))
		return
	case c == nil:
		d.add(part, true, "nothing answers TLS on port %s any more", port)
		return
	}
	for _, v := range added(p.Protocols, c.Protocols) {
		d.add(part, !strongProtocols[v], "%s turned on", v)
	}
	for _, v := range added(c.Protocols, p.Protocols) {
		d.add(part, strongProtocols[v], "%s turned off", v)
	}
	for _, w := range added(p.Weak, c.Weak) {
		if !isProtocol(w) {
			d.add(part, true, "%s now accepted", w)
		}
	}
	for _, w := range added(c.Weak, p.Weak) {
		if !isProtocol(w) {
			d.add(part, false, "%s no longer accepted", w)
		}
	}
	for _, v := range c.Protocols {
		if !slices.Contains(p.Protocols, v) {
			continue // a new protocol: its suites are news with it
		}
		if a := added(p.Suites[v], c.Suites[v]); len(a) > 0 {
			d.add(part, false, "%s suites added: %s", v, strings.Join(a, " "))
		}
		if r := added(c.Suites[v], p.Suites[v]); len(r) > 0 {
			d.add(part, false, "%s suites removed: %s", v, strings.Join(r, " "))
		}
	}
	d.certificate(part, p.Certificate, c.Certificate)
}

func isProtocol(w string) bool {
	return strings.HasPrefix(w, "ssl") || strings.HasPrefix(w, "tls1")
}

func (d *differ) certificate(part string, p, c *certFacts) {
	if p == nil || c == nil {
		return
	}
	cp := "certificate"
	if part != "tls" {
		cp = part + " certificate"
	}
	if p.Subject != c.Subject || p.Issuer != c.Issuer || !p.NotAfter.Equal(c.NotAfter) || p.Key != c.Key || p.Signature != c.Signature {
		d.add(cp, false, "a new certificate: %s %s from %s, valid to %s", c.Key, c.Signature, c.Issuer, c.NotAfter.UTC().Format("2006-01-02"))
	}
	for _, pr := range added(p.Problems, c.Problems) {
		d.add(cp, true, "certificate problem %s appeared", pr)
	}
	for _, pr := range added(c.Problems, p.Problems) {
		d.add(cp, false, "certificate problem %s resolved", pr)
	}
}

func (d *differ) headers(p, c *facts.Headers) {
	if p == nil || c == nil {
		return
	}
	for _, h := range []struct {
		name string
		p, c *string
	}{
		{"Content-Security-Policy", p.CSP, c.CSP},
		{"X-Frame-Options", p.XFrameOptions, c.XFrameOptions},
		{"X-Content-Type-Options", p.XContentTypeOptions, c.XContentTypeOptions},
		{"Referrer-Policy", p.ReferrerPolicy, c.ReferrerPolicy},
		{"Cross-Origin-Resource-Policy", p.CrossOriginResourcePolicy, c.CrossOriginResourcePolicy},
	} {
		switch {
		case h.p == nil && h.c == nil:
		case h.p == nil:
			d.add("headers", false, "%s added: %s", h.name, *h.c)
		case h.c == nil:
			d.add("headers", true, "%s removed (was %s)", h.name, *h.p)
		case *h.p != *h.c:
			d.add("headers", false, "%s changed from %s to %s", h.name, *h.p, *h.c)
		}
	}
}

func (d *differ) securityTxt(p, c *facts.SecurityTxt) {
	if p == nil || c == nil || p.Status == c.Status {
		return
	}
	d.add("security.txt", p.Status == "valid", "security.txt went from %s to %s", p.Status, c.Status)
}

func (d *differ) mail(prev, cur *scan.Result) {
	if !mailMeasured(prev) || !mailMeasured(cur) {
		return
	}
	p, c := prev.Mail, cur.Mail
	switch {
	case p == nil && c == nil:
		return
	case p == nil:
		d.add("mail", false, "MX records appeared: %s", strings.Join(c.MX, " "))
		return
	case c == nil:
		d.add("mail", false, "the MX records are gone")
		return
	}
	if !sameSet(p.MX, c.MX) {
		d.add("mail", false, "MX changed from %s to %s", orNone(p.MX), orNone(c.MX))
	}
	for _, mx := range c.MX {
		if !slices.Contains(p.MX, mx) {
			continue
		}
		d.flip("mail", "STARTTLS on "+mx, p.STARTTLS[mx], c.STARTTLS[mx], true)
		pt, ct := p.TLS[mx], c.TLS[mx]
		d.tls("mail "+mx, "25", pt, ct, pt != nil, ct != nil)
	}
	ps, cs := p.SPF, c.SPF
	if ps != nil && cs != nil {
		if deref(ps.Record) != deref(cs.Record) {
			d.add("mail", false, "SPF record changed from %q to %q", deref(ps.Record), deref(cs.Record))
		}
		if ps.ResultForMX != cs.ResultForMX {
			d.add("mail", ps.ResultForMX == "pass", "SPF result for the MX went from %s to %s", ps.ResultForMX, cs.ResultForMX)
		}
	}
	pd, cd := p.DMARC, c.DMARC
	if pd != nil && cd != nil && deref(pd.Policy) != deref(cd.Policy) {
		d.add("mail", dmarcRank[deref(cd.Policy)] < dmarcRank[deref(pd.Policy)], "DMARC policy went from %s to %s", orDash(deref(pd.Policy)), orDash(deref(cd.Policy)))
	}
}

var dmarcRank = map[string]int{"none": 1, "quarantine": 2, "reject": 3}

// mailMeasured says whether the result measured the mail side (the MX
// lookup answered and the mail check did not fail outright).
func mailMeasured(r *scan.Result) bool {
	return r.DNS != nil && !hasError(r, "dns.mx") && !hasError(r, "mail")
}

var gradeRank = map[string]int{"A+": 7, "A": 6, "B": 5, "C": 4, "D": 3, "E": 2, "F": 1, "T": 0, "M": 0}

func (d *differ) grades(p, c *facts.Verdicts) {
	if p == nil || c == nil {
		return
	}
	pf := func(name string, pv, cv *string) {
		if pv == nil || cv == nil || *pv == *cv {
			return
		}
		d.add("grades", *cv == "fail", "%s went from %s to %s", name, *pv, *cv)
	}
	if p.BOD != nil && c.BOD != nil {
		pf("BOD 18-01 web", p.BOD.Web, c.BOD.Web)
		pf("BOD 18-01 mail", p.BOD.Mail, c.BOD.Mail)
	}
	if p.InternetNL != nil && c.InternetNL != nil {
		pf("internet.nl web", p.InternetNL.Web, c.InternetNL.Web)
		pf("internet.nl mail", p.InternetNL.Mail, c.InternetNL.Mail)
	}
	if p.Observ != nil && c.Observ != nil && (p.Observ.Grade != c.Observ.Grade || p.Observ.Score != c.Observ.Score) {
		d.add("grades", c.Observ.Score < p.Observ.Score, "Observatory went from %s (%d) to %s (%d)", p.Observ.Grade, p.Observ.Score, c.Observ.Grade, c.Observ.Score)
	}
	if p.SSLLabs != nil && c.SSLLabs != nil && p.SSLLabs.Grade != c.SSLLabs.Grade {
		d.add("grades", gradeRank[c.SSLLabs.Grade] < gradeRank[p.SSLLabs.Grade], "SSL Labs grade went from %s to %s", p.SSLLabs.Grade, c.SSLLabs.Grade)
	}
}

func hasError(r *scan.Result, check string) bool {
	for _, e := range r.Errors {
		if e.Check == check {
			return true
		}
	}
	return false
}

// added lists the items of b not in a, in b's order.
func added(a, b []string) []string {
	var out []string
	for _, v := range b {
		if !slices.Contains(a, v) {
			out = append(out, v)
		}
	}
	return out
}

func sameSet(a, b []string) bool { return len(added(a, b)) == 0 && len(added(b, a)) == 0 }

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type certFacts = certs.Facts

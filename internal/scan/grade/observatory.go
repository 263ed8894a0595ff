package grade

import (
	"net/url"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// Observatory scores the site the way the MDN HTTP Observatory does
// (@mdn/mdn-http-observatory 1.4.8, src/grader/charts.js and
// src/analyzer/tests): 100 plus each test's modifier; bonuses count only when
// the score without them is at least 90; the grade is read from the score
// rounded down to a multiple of 5. Differences: the HSTS preload list is not
// consulted (no site counts as preloaded), and <meta http-equiv> policies are
// not read.
func Observatory(r *facts.Result) *facts.Observatory {
	if r.Web == nil || !webApplies(r) {
		return nil
	}
	tests := map[string]string{
		"content-security-policy":       obsCSP(r),
		"cookies":                       obsCookies(r),
		"cross-origin-resource-sharing": obsCORS(r),
		"redirection":                   obsRedirection(r),
		"referrer-policy":               obsReferrer(r),
		"strict-transport-security":     obsHSTS(r),
		"subresource-integrity":         obsSRI(r),
		"x-content-type-options":        obsXCTO(r),
		"x-frame-options":               obsXFO(r),
		"cross-origin-resource-policy":  obsCORP(r),
	}
	score, uncurved := 100, 100
	var reasons []string
	names := make([]string, 0, len(tests))
	for k := range tests {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		m := obsModifier[tests[k]]
		score += m
		if m < 0 {
			uncurved += m
			reasons = append(reasons, tests[k]+" ("+signed(m)+")")
		} else if m > 0 {
			reasons = append(reasons, tests[k]+" ("+signed(m)+", bonus)")
		}
	}
	if uncurved < 90 {
		score = uncurved
	}
	if score < 0 {
		score = 0
	}
	return &facts.Observatory{Score: score, Grade: ObservatoryGrade(score), Tests: tests, Reasons: nonNil(reasons)}
}

func signed(n int) string {
	if n > 0 {
		return "+" + itoa(n)
	}
	return itoa(n)
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// ObservatoryGrade is GRADE_CHART.
func ObservatoryGrade(score int) string {
	k := score - score%5
	if k > 100 {
		k = 100
	}
	switch {
	case k >= 100:
		return "A+"
	case k >= 90:
		return "A"
	case k >= 85:
		return "A-"
	case k >= 80:
		return "B+"
	case k >= 70:
		return "B"
	case k >= 65:
		return "B-"
	case k >= 60:
		return "C+"
	case k >= 50:
		return "C"
	case k >= 45:
		return "C-"
	case k >= 40:
		return "D+"
	case k >= 30:
		return "D"
	case k >= 25:
		return "D-"
	}
	return "F"
}

// obsModifier is SCORE_TABLE's modifiers.
var obsModifier = map[string]int{
	"csp-implemented-with-no-unsafe-default-src-none":                  10,
	"csp-implemented-with-no-unsafe":                                   5,
	"csp-implemented-with-unsafe-inline-in-style-src-only":             0,
	"csp-implemented-with-insecure-scheme-in-passive-content-only":     -10,
	"csp-implemented-with-unsafe-eval":                                 -10,
	"csp-implemented-with-unsafe-inline":                               -20,
	"csp-implemented-with-insecure-scheme":                             -20,
	"csp-header-invalid":                                               -25,
	"csp-not-implemented":                                              -25,
	"csp-not-implemented-but-reporting-enabled":                        -25,
	"cookies-secure-with-httponly-sessions-and-samesite":               5,
	"cookies-secure-with-httponly-sessions":                            0,
	"cookies-not-found":                                                0,
	"cookies-without-secure-flag-but-protected-by-hsts":                -5,
	"cookies-session-without-secure-flag-but-protected-by-hsts":        -10,
	"cookies-without-secure-flag":                                      -20,
	"cookies-samesite-flag-invalid":                                    -20,
	"cookies-anticsrf-without-samesite-flag":                           -20,
	"cookies-session-without-httponly-flag":                            -30,
	"cookies-session-without-secure-flag":                              -40,
	"cross-origin-resource-sharing-not-implemented":                    0,
	"cross-origin-resource-sharing-implemented-with-public-access":     0,
	"cross-origin-resource-sharing-implemented-with-restricted-access": 0,
	"cross-origin-resource-sharing-implemented-with-universal-access":  -50,
	"redirection-to-https":                                             0,
	"redirection-not-needed-no-http":                                   0,
	"redirection-off-host-from-http":                                   -5,
	"redirection-not-to-https-on-initial-redirection":                  -10,
	"redirection-not-to-https":                                         -20,
	"redirection-missing":                                              -20,
	"redirection-invalid-cert":                                         -20,
	"referrer-policy-private":                                          5,
	"referrer-policy-not-implemented":                                  0,
	"referrer-policy-unsafe":                                           -5,
	"referrer-policy-header-invalid":                                   -5,
	"hsts-implemented-max-age-at-least-six-months":                     0,
	"hsts-implemented-max-age-less-than-six-months":                    -10,
	"hsts-not-implemented":                                             -20,
	"hsts-header-invalid":                                              -20,
	"hsts-not-implemented-no-https":                                    -20,
	"hsts-invalid-cert":                                                -20,
	"sri-implemented-and-all-scripts-loaded-securely":                  5,
	"sri-implemented-and-external-scripts-loaded-securely":             5,
	"sri-not-implemented-response-not-html":                            0,
	"sri-not-implemented-but-no-scripts-loaded":                        0,
	"sri-not-implemented-but-all-scripts-loaded-from-secure-origin":    0,
	"sri-not-implemented-but-external-scripts-loaded-securely":         -5,
	"sri-implemented-but-external-scripts-not-loaded-securely":         -20,
	"sri-not-implemented-and-external-scripts-not-loaded-securely":     -50,
	"x-content-type-options-nosniff":                                   0,
	"x-content-type-options-not-implemented":                           -5,
	"x-content-type-options-header-invalid":                            -5,
	"x-frame-options-implemented-via-csp":                              5,
	"x-frame-options-sameorigin-or-deny":                               0,
	"x-frame-options-allow-from-origin":                                0,
	"x-frame-options-not-implemented":                                  -20,
	"x-frame-options-header-invalid":                                   -20,
	"corp-not-implemented":                                             0,
	"corp-implemented-with-same-origin":                                10,
	"corp-implemented-with-same-site":                                  10,
	"corp-implemented-with-cross-origin":                               0,
	"corp-header-invalid":                                              -5,
}

func page(r *facts.Result) *facts.Page { return r.Web.Page }

func header(p *facts.Page, k string) []string {
	if p == nil {
		return nil
	}
	return p.Headers[k]
}

func obsRedirection(r *facts.Result) string {
	route := r.Web.HTTPRoute
	if len(route) == 0 {
		return "redirection-not-needed-no-http"
	}
	for _, e := range r.Web.Endpoints {
		if e.URL == "http://"+r.Name+"/" && e.Error != "" {
			return "redirection-not-to-https" // the chain never ended
		}
	}
	for _, e := range r.Web.Endpoints {
		if e.URL == "http://"+r.Name+"/" && !httpChainVerified(r) {
			_ = e
			return "redirection-invalid-cert"
		}
	}
	if len(route) == 1 {
		return "redirection-missing"
	}
	last := route[len(route)-1].URL
	if !strings.HasPrefix(last, "https:") {
		return "redirection-not-to-https"
	}
	if strings.HasPrefix(route[1].URL, "http:") {
		return "redirection-not-to-https-on-initial-redirection"
	}
	if hostname(route[0].URL) != hostname(route[1].URL) {
		return "redirection-off-host-from-http"
	}
	return "redirection-to-https"
}

// httpChainVerified: every HTTPS hop of http://NAME/'s chain had a valid
// certificate (the endpoint records validity only for https:// starts, so
// a redirect into the canonical HTTPS site uses that site's validity).
func httpChainVerified(r *facts.Result) bool {
	for _, hop := range r.Web.HTTPRoute {
		if !strings.HasPrefix(hop.URL, "https:") {
			continue
		}
		ok := false
		for _, e := range r.Web.Endpoints {
			if e.URL == "https://"+hostname(hop.URL)+"/" && e.Valid != nil {
				ok = *e.Valid
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func hostname(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

func obsHSTS(r *facts.Result) string {
	p := page(r)
	if p == nil || !p.FromHTTPS {
		return "hsts-not-implemented-no-https"
	}
	if !p.Verified {
		return "hsts-invalid-cert"
	}
	h := p.HSTS
	switch {
	case !h.Present:
		return "hsts-not-implemented"
	case !h.Valid:
		return "hsts-header-invalid"
	case h.MaxAge < 15768000:
		return "hsts-implemented-max-age-less-than-six-months"
	}
	return "hsts-implemented-max-age-at-least-six-months"
}

func obsXCTO(r *facts.Result) string {
	v := header(page(r), "x-content-type-options")
	switch {
	case len(v) == 0:
		return "x-content-type-options-not-implemented"
	case strings.EqualFold(strings.TrimSpace(v[0]), "nosniff"):
		return "x-content-type-options-nosniff"
	}
	return "x-content-type-options-header-invalid"
}

func obsXFO(r *facts.Result) string {
	res := "x-frame-options-not-implemented"
	if v := header(page(r), "x-frame-options"); len(v) > 0 {
		x := strings.ToLower(strings.TrimSpace(v[0]))
		switch {
		case x == "deny" || x == "sameorigin":
			res = "x-frame-options-sameorigin-or-deny"
		case strings.HasPrefix(x, "allow-from"):
			res = "x-frame-options-allow-from-origin"
		default:
			res = "x-frame-options-header-invalid"
		}
	}
	if csp, err := parseCSP(header(page(r), "content-security-policy")); err == nil {
		if _, ok := csp["frame-ancestors"]; ok {
			res = "x-frame-options-implemented-via-csp"
		}
	}
	return res
}

func obsReferrer(r *facts.Result) string {
	v := append(slices.Clone(header(page(r), "referrer-policy")), meta(page(r), "referrer-policy")...)
	if len(v) == 0 {
		return "referrer-policy-not-implemented"
	}
	good := []string{"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
	bad := []string{"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
	policy := ""
	for _, p := range strings.Split(strings.Join(v, ", "), ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if slices.Contains(good, p) || slices.Contains(bad, p) {
			policy = p // the last valid one wins
		}
	}
	switch {
	case slices.Contains(good, policy):
		return "referrer-policy-private"
	case slices.Contains(bad, policy):
		return "referrer-policy-unsafe"
	}
	return "referrer-policy-header-invalid"
}

func obsCORP(r *facts.Result) string {
	v := header(page(r), "cross-origin-resource-policy")
	if len(v) == 0 {
		return "corp-not-implemented"
	}
	switch strings.ToLower(strings.TrimSpace(v[0])) {
	case "same-site":
		return "corp-implemented-with-same-site"
	case "same-origin":
		return "corp-implemented-with-same-origin"
	case "cross-origin":
		return "corp-implemented-with-cross-origin"
	}
	return "corp-header-invalid"
}

func obsCORS(r *facts.Result) string {
	p := page(r)
	v := header(p, "access-control-allow-origin")
	if len(v) == 0 {
		return "cross-origin-resource-sharing-not-implemented"
	}
	acao := strings.ToLower(strings.TrimSpace(v[0]))
	cred := header(p, "access-control-allow-credentials")
	switch {
	case acao == "*":
		return "cross-origin-resource-sharing-implemented-with-public-access"
	case acao == "https://kubu-scan.invalid" && len(cred) > 0 && strings.EqualFold(strings.TrimSpace(cred[0]), "true"):
		return "cross-origin-resource-sharing-implemented-with-universal-access"
	}
	return "cross-origin-resource-sharing-implemented-with-restricted-access"
}

func obsCookies(r *facts.Result) string {
	p := page(r)
	if p == nil || len(p.Cookies) == 0 {
		return "cookies-not-found"
	}
	order := []string{
		"cookies-without-secure-flag-but-protected-by-hsts", "cookies-without-secure-flag",
		"cookies-session-without-secure-flag-but-protected-by-hsts", "cookies-samesite-flag-invalid",
		"cookies-anticsrf-without-samesite-flag", "cookies-session-without-httponly-flag", "cookies-session-without-secure-flag",
	}
	res := ""
	worse := func(c string) {
		if res == "" || slices.Index(order, c) > slices.Index(order, res) {
			res = c
		}
	}
	hsts := obsHSTS(r) == "hsts-implemented-max-age-at-least-six-months"
	missingSameSite := false
	for _, c := range p.Cookies {
		name := strings.ToLower(c.Name)
		session := strings.Contains(name, "login") || strings.Contains(name, "sess")
		anticsrf := strings.Contains(name, "csrf")
		if c.SameSite != "" && c.SameSite != "strict" && c.SameSite != "lax" && c.SameSite != "none" {
			worse("cookies-samesite-flag-invalid")
		}
		if !c.Secure && c.SameSite == "none" {
			worse("cookies-samesite-flag-invalid")
		}
		if !c.Secure && hsts {
			worse("cookies-without-secure-flag-but-protected-by-hsts")
		} else if !c.Secure {
			worse("cookies-without-secure-flag")
		}
		if anticsrf && c.SameSite == "" {
			worse("cookies-anticsrf-without-samesite-flag")
		}
		if session && !c.Secure && hsts {
			worse("cookies-session-without-secure-flag-but-protected-by-hsts")
		} else if session && !c.Secure {
			worse("cookies-session-without-secure-flag")
		}
		if session && !c.HTTPOnly {
			worse("cookies-session-without-httponly-flag")
		}
		if c.SameSite == "" {
			missingSameSite = true
		}
	}
	if res != "" {
		return res
	}
	if missingSameSite {
		return "cookies-secure-with-httponly-sessions"
	}
	return "cookies-secure-with-httponly-sessions-and-samesite"
}

func obsSRI(r *facts.Result) string {
	p := page(r)
	if p == nil || !p.HTML {
		return "sri-not-implemented-response-not-html"
	}
	if len(p.Scripts) == 0 {
		return "sri-not-implemented-but-no-scripts-loaded"
	}
	base, _ := url.Parse(p.URL)
	httpsPage := base != nil && base.Scheme == "https"
	external, externalSecure, externalInsecure, withSRI := 0, 0, 0, 0
	for _, s := range p.Scripts {
		u, err := url.Parse(s.Src)
		if err != nil || base == nil {
			continue
		}
		u = base.ResolveReference(u)
		sameOrigin := u.Scheme == base.Scheme && strings.EqualFold(u.Host, base.Host)
		if s.Integrity {
			withSRI++
		}
		if sameOrigin {
			continue
		}
		external++
		if u.Scheme == "https" || (u.Scheme == "" && httpsPage) {
			externalSecure++
		} else {
			externalInsecure++
		}
	}
	switch {
	case external == 0 && withSRI > 0 && httpsPage:
		return "sri-implemented-and-all-scripts-loaded-securely"
	case external == 0:
		return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
	case externalInsecure > 0 && withSRI > 0:
		return "sri-implemented-but-external-scripts-not-loaded-securely"
	case externalInsecure > 0:
		return "sri-not-implemented-and-external-scripts-not-loaded-securely"
	case withSRI >= external:
		return "sri-implemented-and-external-scripts-loaded-securely"
	}
	return "sri-not-implemented-but-external-scripts-loaded-securely"
}

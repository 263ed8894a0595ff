package grade

import (
	"errors"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/facts"
)

// parseCSP parses Content-Security-Policy header values into directive →
// sources (the first occurrence of a directive wins, as browsers do).
func parseCSP(values []string) (map[string][]string, error) {
	if len(values) == 0 {
		return nil, errors.New("no policy")
	}
	out := map[string][]string{}
	for _, v := range values {
		for _, policy := range strings.Split(v, ",") {
			for _, d := range strings.Split(policy, ";") {
				f := strings.Fields(d)
				if len(f) == 0 {
					continue
				}
				name := strings.ToLower(f[0])
				for _, c := range name {
					if !(c >= 'a' && c <= 'z') && c != '-' {
						return nil, errors.New("invalid directive " + name)
					}
				}
				if _, dup := out[name]; dup {
					continue
				}
				var src []string
				for _, s := range f[1:] {
					src = append(src, strings.ToLower(s))
				}
				out[name] = src
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty policy")
	}
	return out, nil
}

var (
	cspBroad  = []string{"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
	cspInline = []string{"'unsafe-inline'", "data:"}
)

func anyIn(src, set []string) bool {
	for _, s := range src {
		if slices.Contains(set, s) {
			return true
		}
	}
	return false
}

func hasNonceOrHash(src []string) bool {
	for _, s := range src {
		for _, p := range []string{"'sha256-", "'sha384-", "'sha512-", "'nonce-"} {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
	}
	return false
}

// obsCSP is the Observatory's content-security-policy test.
func obsCSP(r *facts.Result) string {
	p := page(r)
	vals := append(slices.Clone(header(p, "content-security-policy")), meta(p, "content-security-policy")...)
	if len(vals) == 0 {
		if len(header(p, "content-security-policy-report-only")) > 0 {
			return "csp-not-implemented-but-reporting-enabled"
		}
		return "csp-not-implemented"
	}
	csp, err := parseCSP(vals)
	if err != nil {
		return "csp-header-invalid"
	}
	get := func(names ...string) []string {
		for _, n := range names {
			if v, ok := csp[n]; ok {
				return slices.Clone(v)
			}
		}
		return []string{"*"}
	}
	objectSrc := get("object-src", "default-src")
	scriptSrc := get("script-src", "default-src")
	styleSrc := get("style-src", "default-src")
	if hasNonceOrHash(scriptSrc) {
		scriptSrc = slices.DeleteFunc(scriptSrc, func(s string) bool { return s == "'unsafe-inline'" })
	}
	if hasNonceOrHash(styleSrc) {
		styleSrc = slices.DeleteFunc(styleSrc, func(s string) bool { return s == "'unsafe-inline'" })
	}
	result := ""
	set := func(s string) {
		if result == "" {
			result = s
		}
	}
	if slices.Contains(scriptSrc, "'strict-dynamic'") {
		if hasNonceOrHash(scriptSrc) {
			scriptSrc = slices.DeleteFunc(scriptSrc, func(s string) bool {
				for _, b := range cspBroad {
					if strings.HasPrefix(s, b) {
						return true
					}
				}
				return s == "'self'" || s == "'unsafe-inline'"
			})
		} else {
			set("csp-header-invalid")
		}
	}
	var active, passive []string
	for d, src := range csp {
		if d != "img-src" && d != "media-src" && d != "script-src" {
			active = append(active, src...)
		}
	}
	active = append(active, scriptSrc...)
	for _, d := range []string{"img-src", "media-src"} {
		if v, ok := csp[d]; ok {
			passive = append(passive, v...)
		} else {
			passive = append(passive, csp["default-src"]...)
		}
	}
	httpsPage := p != nil && strings.HasPrefix(p.URL, "https:")
	insecure := func(src []string) bool {
		for _, s := range src {
			if strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "ftp:") {
				return true
			}
		}
		return false
	}
	if anyIn(scriptSrc, append(slices.Clone(cspBroad), cspInline...)) || anyIn(objectSrc, cspBroad) {
		set("csp-implemented-with-unsafe-inline")
	}
	if httpsPage && insecure(active) {
		set("csp-implemented-with-insecure-scheme")
	}
	if slices.Contains(scriptSrc, "'unsafe-eval'") || slices.Contains(styleSrc, "'unsafe-eval'") {
		set("csp-implemented-with-unsafe-eval")
	}
	if httpsPage && insecure(passive) {
		set("csp-implemented-with-insecure-scheme-in-passive-content-only")
	}
	if anyIn(styleSrc, append(slices.Clone(cspBroad), cspInline...)) {
		set("csp-implemented-with-unsafe-inline-in-style-src-only")
	}
	if d, ok := csp["default-src"]; ok && len(d) == 1 && d[0] == "'none'" {
		set("csp-implemented-with-no-unsafe-default-src-none")
	}
	set("csp-implemented-with-no-unsafe")
	return result
}

// meta returns a page's <meta> policy values.
func meta(p *facts.Page, k string) []string {
	if p == nil {
		return nil
	}
	return p.Meta[k]
}

package scan

import (
	"context"
	"crypto/x509"
	"errors"
	"net/url"
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scan/web"
)

// checkWeb fetches http:// and https:// on the apex and (when it resolves)
// www, and derives pshtt's facts, HSTS, the security headers and the page
// the Observatory-style tests read.
func (t *target) checkWeb(ctx context.Context) error {
	hosts := []string{t.name}
	if len(t.r.DNS.WWW) > 0 {
		hosts = append(hosts, "www."+t.name)
	}
	type ep struct {
		f     *web.Fetch
		valid bool
	}
	eps := map[string]*ep{}
	w := &facts.Web{Endpoints: []facts.Endpoint{}}
	for _, h := range hosts {
		for _, scheme := range []string{"http", "https"} {
			u := scheme + "://" + h + "/"
			f := t.s.fetch.Get(ctx, u, true)
			e := &ep{f: f}
			fe := facts.Endpoint{URL: u, Live: f.Live(), Route: []string{}, Error: f.Err}
			for _, hop := range f.Hops {
				fe.Route = append(fe.Route, hop.URL)
			}
			if f.Live() {
				fe.Status = f.First().Status
				fe.Final = f.Last().URL
				if f.Err != "" && len(f.Hops) > 0 {
					fe.Final = "" // the chain did not end
				}
				if len(f.Hops) > 1 && strings.HasPrefix(f.Hops[1].URL, "http:") && scheme == "https" {
					fe.Downgrades = true
				}
			}
			if scheme == "https" && f.Live() {
				e.valid = t.certValid(f.First().Certificates, h)
				v := e.valid
				fe.Valid = &v
			}
			eps[u] = e
			w.Endpoints = append(w.Endpoints, fe)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	t.r.Web = w
	apexHTTP, apexHTTPS := eps["http://"+t.name+"/"], eps["https://"+t.name+"/"]
	live := false
	for _, e := range eps {
		live = live || e.f.Live()
	}
	// pshtt's canonical endpoint: the apex unless only www answers or the
	// apex redirects to www.
	canon := t.name
	if wwwS, ok := eps["https://www."+t.name+"/"]; ok {
		apexLive := apexHTTP.f.Live() || apexHTTPS.f.Live()
		toWWW := apexHTTPS.f.Live() && len(apexHTTPS.f.Hops) > 1 && hostOf(apexHTTPS.f.Hops[1].URL) == "www."+t.name
		if (!apexLive && (wwwS.f.Live() || eps["http://www."+t.name+"/"].f.Live())) || toWWW {
			canon = "www." + t.name
		}
	}
	cHTTPS, cHTTP := eps["https://"+canon+"/"], eps["http://"+canon+"/"]
	h := &facts.HTTPS{Live: live, Canonical: canon, Redirects: []string{}}
	for _, hop := range apexHTTP.f.Hops {
		h.Redirects = append(h.Redirects, hop.URL)
	}
	w.HTTPRoute = apexHTTP.f.Hops
	if cHTTPS.f.Live() {
		h.Valid = cHTTPS.valid
		h.Downgrades = len(cHTTPS.f.Hops) > 1 && strings.HasPrefix(cHTTPS.f.Hops[1].URL, "http:")
		h.Supports = cHTTPS.valid && !h.Downgrades
		enforces := h.Supports
		for _, u := range []string{"http://" + t.name + "/", "http://www." + t.name + "/"} {
			e, ok := eps[u]
			if !ok || !e.f.Live() {
				continue
			}
			// Every live HTTP endpoint must end on HTTPS.
			if e.f.Err != "" || !strings.HasPrefix(e.f.Last().URL, "https:") {
				enforces = false
			}
		}
		h.Enforces = enforces
		hs := web.ParseHSTS(cHTTPS.f.First().Header)
		t.r.HSTS = &facts.HSTS{Present: hs.Present, Valid: hs.Valid, MaxAge: hs.MaxAge, IncludeSubdomains: hs.IncludeSubdomains, Preload: hs.Preload}
	}
	t.r.HTTPS = h

	// The page header tests read: the final HTTPS response when HTTPS
	// answers, else the final HTTP one.
	var page *web.Fetch
	verified, fromHTTPS := false, false
	switch {
	case cHTTPS.f.Live() && cHTTPS.f.Err == "":
		page, verified, fromHTTPS = cHTTPS.f, cHTTPS.valid && t.chainValid(cHTTPS.f), true
	case cHTTP.f.Live() && cHTTP.f.Err == "":
		page = cHTTP.f
		verified = t.chainValid(cHTTP.f)
	}
	if page != nil {
		last := page.Last()
		p := &facts.Page{URL: last.URL, Status: last.Status, Verified: verified, FromHTTPS: fromHTTPS, Headers: map[string][]string{},
			Cookies: web.Cookies(last.Header), HTML: web.IsHTML(last.Header), HSTS: web.ParseHSTS(last.Header)}
		for _, k := range pageHeaders {
			if v := last.Header.Values(k); len(v) > 0 {
				p.Headers[strings.ToLower(k)] = v
			}
		}
		if p.HTML {
			p.Scripts = web.Scripts(page.Body)
			p.Meta = web.Meta(page.Body)
		}
		w.Page = p
		t.r.Headers = &facts.Headers{
			CSP: first(p.Headers["content-security-policy"]), XFrameOptions: first(p.Headers["x-frame-options"]),
			XContentTypeOptions: first(p.Headers["x-content-type-options"]), ReferrerPolicy: first(p.Headers["referrer-policy"]),
			CrossOriginResourcePolicy: first(p.Headers["cross-origin-resource-policy"]),
		}
	}
	if !live {
		var msgs []string
		for _, e := range w.Endpoints {
			msgs = append(msgs, e.Error)
		}
		return errors.New("no endpoint answered: " + strings.Join(msgs, "; "))
	}
	return nil
}

var pageHeaders = []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only", "X-Frame-Options",
	"X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Resource-Policy", "Strict-Transport-Security",
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Content-Type"}

func first(v []string) *string {
	if len(v) == 0 {
		return nil
	}
	s := v[0]
	return &s
}

// certValid says whether a served chain is trusted, in date and matches host.
func (t *target) certValid(chain []*x509.Certificate, host string) bool {
	if len(chain) == 0 {
		return false
	}
	f := certs.Analyze(chain, host, certs.Options{Roots: t.s.o.Roots, Intermediates: t.s.o.Intermediates, Now: t.s.o.Now()})
	return f.Trusted && f.HostnameMatch
}

// chainValid says whether every HTTPS hop of a fetch had a valid certificate.
func (t *target) chainValid(f *web.Fetch) bool {
	for _, hop := range f.Hops {
		if strings.HasPrefix(hop.URL, "https:") && !t.certValid(hop.Certificates, hostOf(hop.URL)) {
			return false
		}
	}
	return true
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

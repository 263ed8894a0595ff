// Package ui is kubu's browser interface: server-rendered html/template
// pages under a strict CSP (no inline script or style), usable without
// JavaScript, keyboard and phone friendly. Every route is listed in
// Register with the action the Router checks before the handler runs;
// handlers then ask the domain services, which check each record.
package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/markdown"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/web"
)

// EnrolPath is the TOTP enrolment page staff are held on until they enrol.
const EnrolPath = "/account/totp"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are the services the UI shows.
type Deps struct {
	Registry *registry.Registry
	Findings *findings.Service
	Accounts *accounts.Service
	Audit    *audit.Log
	Auth     *web.Authenticator
	Log      *slog.Logger
	// Limits rate-limits the public sign-in pages that send email
	// (password reset); nil limits nothing.
	Limits *ratelimit.Policy
	// TrustProxy takes client addresses from X-Forwarded-For (see
	// ratelimit.ClientAddr), for sign-in throttling.
	TrustProxy bool

	Community  *CommunityDeps    // the community programmes' pages (nil: absent)
	Monitoring *MonitoringDeps   // alerts, rules, hunts and intake pages (nil: absent)
	Scanning   *scanning.Service // external scanning pages (nil: absent)

	Incidents *incident.Service // incident response and on-call pages (nil: absent)
	Evidence  *evidence.Service // the evidence tab of incidents
	Intel     *IntelDeps        // containment queue and threat intelligence (nil: absent)
	OIDC      *OIDCDeps         // staff single sign-on (nil: off)

	Imports *importing.Service // the import page of a system (nil: absent)
	Posture *posture.Service   // posture pages (nil: absent)
	Policy  *policy.Service    // policies, security plans and deviations pages (nil: absent)
}

type ui struct {
	Deps
	pages map[string]*template.Template
	md    *markdown.Renderer
}

// Register adds the UI's routes to rt.
func Register(rt *web.Router, d Deps) {
	u := &ui{Deps: d, md: markdown.New()}
	u.pages = mustParsePages(u.funcs())
	rt.SetErrorPages(u.errorPage)
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	rt.Handle(web.UI, "GET /static/{file...}", authz.Public, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
	// Browsers ask for /favicon.ico on every site; answer with kubu's mark
	// rather than a 404 in every page's console.
	rt.Handle(web.UI, "GET /favicon.ico", authz.Public, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("Content-Type", "image/svg+xml")
		http.ServeFileFS(w, r, static, "favicon.svg")
	})

	rt.Handle(web.UI, "GET /login", authz.Public, u.loginForm)
	rt.Handle(web.UI, "POST /login", authz.Public, u.login)
	rt.Handle(web.UI, "GET /login/totp", authz.Public, u.totpForm)
	rt.Handle(web.UI, "POST /login/totp", authz.Public, u.totpLogin)
	rt.Handle(web.UI, "POST /logout", authz.Public, u.logout)
	rt.Handle(web.UI, "GET "+EnrolPath, authz.SignedIn, u.enrolForm)
	rt.Handle(web.UI, "POST "+EnrolPath, authz.SignedIn, u.enrol)
	rt.Handle(web.UI, "GET "+EnrolPath+"/qr.png", authz.SignedIn, u.enrolQR)
	u.registerPasswordReset(rt)
	u.registerOIDC(rt)
	u.registerPasskeys(rt)
	u.registerPasskeySecond(rt)

	rt.Handle(web.UI, "GET /{$}", authz.SignedIn, u.home)
	u.registerPages(rt)
	u.registerCommunity(rt)
	u.registerMonitoring(rt)
	u.registerIncidents(rt)
	u.registerIntel(rt)
	u.registerScans(rt)
	u.registerReadiness(rt)
	u.registerPolicy(rt)
}

// Package app assembles kubu: it opens the database, the key ring and the
// services, builds the HTTP handler from every surface's routes, and runs
// the server with its background jobs. The commands in internal/cli use it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/api"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/feeds"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intake"
	"github.com/kubu-gov/kubu/internal/intel/rpz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/node"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/ui"
	"github.com/kubu-gov/kubu/internal/web"
)

// App is an assembled kubu.
type App struct {
	Cfg      *config.Config
	Log      *slog.Logger
	DB       *store.DB
	Ring     *keys.Ring
	Audit    *audit.Log
	Registry *registry.Registry
	Findings *findings.Service
	Accounts *accounts.Service
	Sessions *scs.SessionManager
	Metrics  *Metrics

	Intake *intake.Service // log intake (tokens, HTTP and syslog handlers)
	Detect *detect.Service // rules, alerts, correlation, hunts

	Contain  *contain.Service    // containment actions (contract §7)
	Feeds    *feeds.Service      // block lists for firewalls and resolvers
	Intel    *indicators.Service // threat intelligence, matching at intake
	rpz      *rpz.Server         // the response policy zone (--rpz-addr)
	Scanning *scanning.Service   // external scanning of registered hostnames
	Policy   *policy.Service     // catalogues, profiles, security plans (readiness)

	Imports         *importing.Service // imports of agencies' test results into findings
	Posture         *posture.Service   // posture of every agency and the league table
	PostureControls posture.Controls   // security plan controls for posture (nil: not assessed)

	Disclosure *disclosure.Service // community programmes
	Incidents  *incident.Service   // incident response and on-call
	Evidence   *evidence.Service   // the evidence locker of incidents
	Mail       mail.Sender
	Limits     *ratelimit.Policy // rate limits of the community routes
	SSO        *ui.OIDCDeps      // staff single sign-on (nil: off)

	node     *node.Identity // this process among the nodes (leases, claims)
	router   *web.Router
	tlsBound atomic.Value // the HTTPS listener's address (string)
}

// Open opens the database (migrating it) and the services. It does not
// start the server or the event log; the short commands use it as is.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	ring, err := openRing(cfg)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, URL: cfg.DatabaseURL, Logger: quietGoose(log)})
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, DB: db, Ring: ring}
	if a.node, err = node.Identify(cfg.DataDir); err != nil {
		db.Close()
		return nil, err
	}
	if a.SSO, err = openSSO(cfg); err != nil {
		a.node.Close()
		db.Close()
		return nil, err
	}
	a.Audit = audit.New(db, ring)
	a.Registry = registry.New(db, a.Audit)
	a.Findings = findings.New(db, a.Audit, a.Registry)
	a.openMail(cfg, log)
	a.Accounts = accounts.New(db, a.Audit, a.Registry, ring, accounts.Options{RequireTOTP: cfg.RequireTOTP,
		Mail: a.Mail, Log: log, PublicURL: cfg.BaseURL(), NoStaffPasswords: cfg.SSO.NoStaffPasswords})
	a.Sessions = scs.New()
	a.Sessions.Store = accounts.NewSessionStore(db)
	a.Sessions.Lifetime = 12 * time.Hour
	a.Sessions.IdleTimeout = 30 * time.Minute
	a.Sessions.Cookie.Name = "kubu_session"
	a.Sessions.Cookie.HttpOnly = true
	a.Sessions.Cookie.SameSite = http.SameSiteLaxMode
	a.Sessions.Cookie.Secure = len(cfg.PublicURL) > 8 && cfg.PublicURL[:8] == "https://"
	a.Metrics = newMetrics()
	a.openCommunity(cfg, log)
	if err := a.openMonitoring(cfg, log); err != nil {
		a.node.Close()
		db.Close()
		return nil, err
	}
	if err := a.openIntel(cfg, log); err != nil {
		a.node.Close()
		db.Close()
		return nil, err
	}
	if err := a.openScanning(cfg, log); err != nil {
		a.node.Close()
		db.Close()
		return nil, err
	}
	a.openPolicy(log)
	a.openReadiness()
	a.Metrics.registerOps(a)
	if _, err := a.Disclosure.EnsureVDP(ctx); err != nil {
		a.node.Close()
		db.Close()
		return nil, fmt.Errorf("community programmes: %w", err)
	}
	if err := a.openIncidents(ctx, cfg, log); err != nil {
		a.node.Close()
		db.Close()
		return nil, fmt.Errorf("incident response: %w", err)
	}
	return a, nil
}

// openIncidents builds incident response (after the mail sender).
func (a *App) openIncidents(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	a.Incidents = incident.New(a.DB, a.Audit, a.Registry, a.Findings, incident.Options{Targets: cfg.IncidentTargets, PublicURL: cfg.BaseURL(),
		Mail: a.PageMail(), Sealer: a.Ring.Sealer(incident.WebhookSealPurpose), Chromium: cfg.Chromium, Log: log})
	blobs, err := evidence.LocalStore(cfg.DataDir, a.Ring)
	if err != nil {
		return fmt.Errorf("evidence store: %w", err)
	}
	a.Evidence = evidence.New(a.DB, a.Audit, blobs, "local", a.Incidents.ForEvidence(), evidence.Options{MaxSize: a.Cfg.EvidenceMaxSize})
	return a.Incidents.EnsurePlaybooks(ctx)
}

// openMail sets up outgoing mail: SMTP through a queue, or, with no SMTP
// server configured, mail.Discard, which logs the links people need.
func (a *App) openMail(cfg *config.Config, log *slog.Logger) {
	c := cfg.Community
	a.Mail = mail.Discard{Log: log}
	if c.SMTPAddr != "" {
		a.Mail = mail.NewQueue(&mail.SMTP{Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUsername, Password: c.SMTPPassword}, log, 1000)
	}
}

// openCommunity builds the community programmes' service and its rate
// limits. Researcher accounts made by administrators get their profile
// from it.
func (a *App) openCommunity(cfg *config.Config, log *slog.Logger) {
	c := cfg.Community
	a.Disclosure = disclosure.New(a.DB, a.Audit, a.Registry, a.Findings, a.Ring, disclosure.Options{PublicURL: cfg.BaseURL(), Mail: a.Mail, Log: log,
		Accounts: a.Accounts})
	a.Accounts.OnCreate(a.Disclosure.ProfileForNewAccount)
	a.Limits = ratelimit.NewPolicy(ratelimit.PolicyConfig{SubmitPerClient: c.SubmitRate, SubmitOverall: c.SubmitGlobal, TrustProxy: cfg.TrustProxy})
}

// PageMail is the sender of pages: straight to the SMTP server (the pager
// runs in the background and retries a page the server refused), or a
// logger when no server is configured.
func (a *App) PageMail() mail.Sender {
	c := a.Cfg.Community
	if c.SMTPAddr == "" {
		return mail.Discard{Log: a.Log}
	}
	return &mail.SMTP{Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUsername, Password: c.SMTPPassword}
}

func openRing(cfg *config.Config) (*keys.Ring, error) {
	if cfg.SecretKey != nil {
		return keys.New(cfg.SecretKey)
	}
	r, err := keys.LoadOrCreate(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return r, nil
}

// quietGoose keeps migration chatter at debug level.
func quietGoose(log *slog.Logger) *slog.Logger {
	if log == nil {
		return nil
	}
	return slog.New(levelShift{log.Handler()})
}

// Close sends queued mail and releases the database.
func (a *App) Close() error {
	if q, ok := a.Mail.(*mail.Queue); ok {
		q.Close()
	}
	if a.Scanning != nil {
		a.Scanning.Close()
	}
	defer a.node.Close()
	return a.DB.Close()
}

// Handler returns kubu's whole HTTP handler.
func (a *App) Handler() http.Handler {
	if a.router == nil {
		a.router = a.buildRouter()
	}
	// Each surface (browser, API, public, intake) brings its own headers,
	// sessions, CSRF protection and authentication (web.Router). The calls
	// Elasticsearch clients make before writing (GET /, /_license, index
	// templates…) carrying intake credentials are answered as Elasticsearch
	// before the router: ESInfo authenticates the intake token itself.
	var h http.Handler = esRoot(a.Intake, a.router)
	h = a.Metrics.instrument(h)
	return web.Observe(a.Log, h)
}

// esRoot sends the requests Elasticsearch clients make before writing
// (GET /, /_license, index templates…) to intake when they carry intake
// credentials; intake answers as Elasticsearch. The browser keeps /
// otherwise.
func esRoot(in *intake.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intake.IsESSetup(r) && intake.HasCredential(r) {
			in.ESInfo(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IntakeHandler is the handler of --intake-addr: the intake protocols'
// routes, and / and the other calls Elasticsearch clients make before
// writing answered as Elasticsearch; any other path is 404.
func (a *App) IntakeHandler() http.Handler {
	main := a.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case intake.IsESSetup(r):
			a.Intake.ESInfo(w, r)
		case intake.IsIntakePath(r.URL.Path):
			main.ServeHTTP(w, r)
		default:
			intake.NotIntake(w, r)
		}
	})
}

// Router returns the router with every route (for tests that walk them).
func (a *App) Router() *web.Router {
	a.Handler()
	return a.router
}

func (a *App) buildRouter() *web.Router {
	auth := &web.Authenticator{Accounts: a.Accounts, Sessions: a.Sessions, EnrolPath: ui.EnrolPath, Intake: a.Intake.Authenticate}
	rt := web.NewRouter(auth, a.Log)
	api.Register(rt, api.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Audit: a.Audit,
		Health: a.health, Disclosure: a.Disclosure, Limits: a.Limits,
		Intake: a.Intake, Detect: a.Detect, Scanning: a.Scanning, Incidents: a.Incidents, Evidence: a.Evidence,
		Contain: a.Contain, Feeds: a.Feeds, Intel: a.Intel, Policy: a.Policy, Imports: a.Imports, Posture: a.Posture})
	ui.Register(rt, ui.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Audit: a.Audit, Auth: auth, Log: a.Log,
		Limits: a.Limits, TrustProxy: a.Cfg.TrustProxy,
		Community: &ui.CommunityDeps{Disclosure: a.Disclosure, Limits: a.Limits, SafeHarbour: a.Cfg.Community.SafeHarbour,
			SecurityTxt: disclosure.SecurityTxt{BaseURL: a.Cfg.BaseURL(), Contacts: a.Cfg.Community.Contacts, Encryption: a.Cfg.Community.Encryption}},
		Monitoring: &ui.MonitoringDeps{Intake: a.Intake, Detect: a.Detect, Endpoints: a.intakeEndpoints()}, Scanning: a.Scanning, Incidents: a.Incidents, Evidence: a.Evidence,
		Intel: &ui.IntelDeps{Contain: a.Contain, Intel: a.Intel}, OIDC: a.SSO, Policy: a.Policy, Imports: a.Imports, Posture: a.Posture})
	rt.Handle(web.API, "GET /metrics", authz.Metrics, a.Metrics.handler().ServeHTTP)
	return rt
}

// Package app assembles kubu: it opens the database, the key ring and the
// services, builds the HTTP handler from every surface's routes, and runs
// the server with its background jobs. The commands in internal/cli use it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/api"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
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

	router *web.Router
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
	a.Audit = audit.New(db, ring)
	a.Registry = registry.New(db, a.Audit)
	a.Findings = findings.New(db, a.Audit, a.Registry)
	a.Accounts = accounts.New(db, a.Audit, a.Registry, ring, accounts.Options{RequireTOTP: cfg.RequireTOTP})
	a.Sessions = scs.New()
	a.Sessions.Store = accounts.NewSessionStore(db)
	a.Sessions.Lifetime = 12 * time.Hour
	a.Sessions.IdleTimeout = 30 * time.Minute
	a.Sessions.Cookie.Name = "kubu_session"
	a.Sessions.Cookie.HttpOnly = true
	a.Sessions.Cookie.SameSite = http.SameSiteLaxMode
	a.Sessions.Cookie.Secure = len(cfg.PublicURL) > 8 && cfg.PublicURL[:8] == "https://"
	a.Metrics = newMetrics()
	return a, nil
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

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Handler returns kubu's whole HTTP handler.
func (a *App) Handler() http.Handler {
	if a.router == nil {
		a.router = a.buildRouter()
	}
	var h http.Handler = a.router
	h = a.Sessions.LoadAndSave(h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = web.SecurityHeaders(h)
	h = a.Metrics.instrument(h)
	return web.Observe(a.Log, h)
}

// Router returns the router with every route (for tests that walk them).
func (a *App) Router() *web.Router {
	a.Handler()
	return a.router
}

func (a *App) buildRouter() *web.Router {
	auth := &web.Authenticator{Accounts: a.Accounts, Sessions: a.Sessions, EnrolPath: ui.EnrolPath}
	rt := web.NewRouter(auth, a.Log)
	api.Register(rt, api.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Audit: a.Audit,
		Health: func(r *http.Request) error { return a.DB.Ping(r.Context()) }})
	ui.Register(rt, ui.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Audit: a.Audit, Auth: auth, Log: a.Log})
	rt.Handle(web.API, "GET /metrics", authz.Metrics, a.Metrics.handler().ServeHTTP)
	return rt
}

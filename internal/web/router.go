// Package web is kubu's HTTP plumbing: the one Router every route is
// registered on, authentication for each surface (API tokens, browser
// sessions, intake tokens), the route-level access check, security headers
// with a per-request CSP nonce, and JSON input and error helpers. The API,
// the UI and intake register their routes on a Router; none of them touches
// an http.ServeMux directly, so no route can skip the access check.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Surface is how a route authenticates its callers and answers errors.
type Surface int

// The surfaces.
const (
	API    Surface = iota // bearer API tokens; JSON errors
	UI                    // browser sessions; HTML pages, redirects to sign in
	Intake                // intake tokens of log shippers; protocol-specific answers
)

func (s Surface) String() string {
	return [...]string{"api", "ui", "intake"}[s]
}

// Route is one registered route.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/systems/{id}
	Surface Surface
	Action  authz.Action // checked before the handler runs (authz.Public: anyone)
}

// Router registers routes with their access rule and serves them.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	auth   *Authenticator
	log    *slog.Logger
}

// NewRouter returns an empty router using auth to identify callers.
func NewRouter(auth *Authenticator, log *slog.Logger) *Router {
	return &Router{mux: http.NewServeMux(), auth: auth, log: log}
}

// Routes lists every registered route.
func (rt *Router) Routes() []Route { return slices.Clone(rt.routes) }

// Handle registers h for "METHOD /path" on a surface. Before h runs, the
// caller is authenticated for the surface and authz.Check(actor, act, the
// collection) must pass; h then checks each record it touches.
func (rt *Router) Handle(s Surface, pattern string, act authz.Action, h http.HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("web: route pattern must be \"METHOD /path\": " + pattern)
	}
	rt.routes = append(rt.routes, Route{Method: method, Pattern: path, Surface: s, Action: act})
	var wrapped http.Handler
	switch s {
	case API:
		wrapped = rt.auth.api(act, h)
	case UI:
		wrapped = rt.auth.ui(act, h)
	case Intake:
		wrapped = rt.auth.intake(h)
	}
	rt.mux.Handle(pattern, wrapped)
}

// ServeHTTP serves the registered routes.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

type ctxKey int

const (
	actorKey ctxKey = iota
	nonceKey
	agencyKey
)

// ActorFrom returns the authenticated caller (authz.Anonymous on public
// routes without credentials).
func ActorFrom(ctx context.Context) authz.Actor {
	a, _ := ctx.Value(actorKey).(authz.Actor)
	return a
}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a authz.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// IntakeAgency returns the agency an intake request's token is bound to.
func IntakeAgency(ctx context.Context) string {
	s, _ := ctx.Value(agencyKey).(string)
	return s
}

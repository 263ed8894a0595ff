// Package web is kubu's HTTP plumbing: the one Router every route is
// registered on, one mux per surface (browser, API, public, intake) each
// with its own middleware chain — security headers, authentication and
// error answers are chosen by the surface a route was registered on, never
// by its URL — the route-level access check, and JSON input and error
// helpers. The API, the UI and intake register their routes on a Router;
// none of them touches an http.ServeMux directly, so no route can skip the
// access check.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Surface is how a route's callers authenticate and how it answers errors.
type Surface int

// The surfaces.
const (
	API    Surface = iota // bearer API tokens; JSON errors; API CSP
	UI                    // the browser: sessions, CSRF protection, CSP with nonces, HTML error pages
	Intake                // intake tokens of log shippers; protocol-specific answers
	Public                // anonymous machine routes (health, OpenAPI, the public VDP API): JSON, no credentials read
	numSurfaces
)

func (s Surface) String() string {
	return [...]string{"api", "ui", "intake", "public"}[s]
}

// Route is one registered route.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/systems/{id}
	Surface Surface
	Action  authz.Action // checked before the handler runs (authz.Public: anyone)
}

// Router registers routes with their access rule and serves them: each
// request goes to one surface (see ServeHTTP), whose middleware chain and
// mux serve it.
type Router struct {
	auth     *Authenticator
	log      *slog.Logger
	routes   []Route
	surfaces [numSurfaces]*surface
	claims   []claim
	pages    ErrorPageFunc
}

// claim gives a surface the first pick of the requests match accepts.
type claim struct {
	s     Surface
	match func(*http.Request) bool
}

// NewRouter returns an empty router using auth to identify callers. The
// intake surface claims first the requests that carry intake credentials
// (see IntakeCredential), so that a path both the browser and intake serve
// — such as Elasticsearch's GET / — reaches intake for shippers.
func NewRouter(auth *Authenticator, log *slog.Logger) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Router{auth: auth, log: log}
	for s := range numSurfaces {
		rt.surfaces[s] = &surface{kind: s, mux: http.NewServeMux(), rt: rt}
		rt.surfaces[s].handler = rt.surfaces[s].chain()
	}
	rt.Claim(Intake, IntakeCredential)
	return rt
}

// Routes lists every registered route.
func (rt *Router) Routes() []Route { return slices.Clone(rt.routes) }

// Handle registers h for "METHOD /path" on a surface. Before h runs, the
// caller is authenticated by the surface and authz.Check(actor, act,
// authz.Collection()) must pass; h then checks each record it touches.
// Public-surface routes take authz.Public and API routes never do (an API
// route anyone may use belongs on the public surface, which reads no
// credential); intake routes take authz.IntakeSend.
func (rt *Router) Handle(s Surface, pattern string, act authz.Action, h http.HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("web: route pattern must be \"METHOD /path\": " + pattern)
	}
	switch {
	case s < 0 || s >= numSurfaces:
		panic(fmt.Sprintf("web: unknown surface %d for %s", s, pattern))
	case s == Public && act != authz.Public:
		panic("web: a public-surface route must use authz.Public: " + pattern)
	case s == API && act == authz.Public:
		panic("web: an API route anyone may use goes on the public surface: " + pattern)
	case s == Intake && act != authz.IntakeSend:
		panic("web: an intake route must use authz.IntakeSend: " + pattern)
	}
	rt.routes = append(rt.routes, Route{Method: method, Pattern: path, Surface: s, Action: act})
	var wrapped http.Handler
	switch s {
	case API:
		wrapped = rt.auth.apiRoute(act, h)
	case UI:
		wrapped = rt.auth.uiRoute(act, h)
	case Intake:
		wrapped = rt.auth.intakeRoute(h)
	case Public:
		wrapped = h
	}
	rt.surfaces[s].mux.Handle(pattern, wrapped)
}

// Claim lets surface s take, before any other, the requests match accepts
// and s has a route for. Claims are tried in the order they were made.
func (rt *Router) Claim(s Surface, match func(*http.Request) bool) {
	rt.claims = append(rt.claims, claim{s: s, match: match})
}

// SetErrorPages sets how the browser surface renders its error pages (the
// ui package sets it to pages in the site's layout; web cannot import ui).
// Call it while registering routes, before serving.
func (rt *Router) SetErrorPages(f ErrorPageFunc) { rt.pages = f }

// dispatchOrder is the order in which surfaces are asked whether they serve
// a request. Intake is last: its POST /{index}/_bulk matches any
// two-segment path ending in _bulk, which no other surface serves.
var dispatchOrder = []Surface{Public, API, UI, Intake}

// ServeHTTP sends the request to its surface: a surface that claims it
// (intake, for requests with intake credentials) and serves it; else the
// first surface, in dispatchOrder, with a route for its method and path;
// else the first with a route for its path under another method (to answer
// 405); else the surface whose part of the URL space the path is in (to
// answer 404 in that surface's manner). Only this choice looks at the
// path; everything a surface does — headers, authentication, error answers
// — follows from the surface.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.surfaces[rt.SurfaceOf(r)].ServeHTTP(w, r)
}

// SurfaceHandler serves one surface alone, with its middleware: e.g. a
// listener of its own for intake (--intake-addr), where every path,
// including /, is the shippers'.
func (rt *Router) SurfaceHandler(s Surface) http.Handler { return rt.surfaces[s] }

// SurfaceOf tells which surface serves r.
func (rt *Router) SurfaceOf(r *http.Request) Surface {
	for _, c := range rt.claims {
		if c.match(r) && rt.surfaces[c.s].serves(r) {
			return c.s
		}
	}
	for _, s := range dispatchOrder {
		if rt.surfaces[s].serves(r) {
			return s
		}
	}
	for _, s := range dispatchOrder {
		if len(rt.surfaces[s].allowed(r)) > 0 {
			return s
		}
	}
	return spaceOf(r.URL.Path)
}

// spaceOf is the surface whose part of the URL space a path nothing serves
// is in: the API's JSON answers under /api/, the public surface's under the
// public API, the browser's pages everywhere else.
func spaceOf(path string) Surface {
	switch {
	case strings.HasPrefix(path, "/api/v1/public/"):
		return Public
	case strings.HasPrefix(path, "/api/"):
		return API
	}
	return UI
}

type ctxKey int

const (
	actorKey ctxKey = iota
	nonceKey
	agencyKey
	pagesKey
	enrolKey
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

package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
)

// surface is one mux with its middleware chain.
type surface struct {
	kind    Surface
	mux     *http.ServeMux
	rt      *Router
	handler http.Handler // the middleware chain around the mux
}

// probeMethods are the methods tried to tell 405 from 404.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// serves reports whether the surface has a route for r's method and path.
func (s *surface) serves(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	return pattern != ""
}

// allowed lists the methods the surface serves r's path with.
func (s *surface) allowed(r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		if _, pattern := s.mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

func (s *surface) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// chain builds the surface's middleware around its mux:
//
//	browser: browser headers (CSP with nonce) → error pages → recover (500 page) →
//	         session → cross-origin protection (403 page) → who is signed in → mux
//	API:     API headers → recover (JSON 500) → cross-origin protection → bearer token → mux (JSON 404/405)
//	public:  API headers → recover (JSON 500) → cross-origin protection → mux (JSON 404/405), always anonymous
//	intake:  API headers → mux (the protocols' own answers)
func (s *surface) chain() http.Handler {
	au := s.rt.auth
	var h http.Handler = http.HandlerFunc(s.route)
	switch s.kind {
	case UI:
		h = au.browserActor(h)
		cop := http.NewCrossOriginProtection()
		cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ErrorPage(w, r, http.StatusForbidden) }))
		h = cop.Handler(h)
		if au != nil && au.Sessions != nil {
			h = au.Sessions.LoadAndSave(h)
		}
		h = recoverPage(s.rt.log, h)
		h = withPages(s.rt, h)
		h = SecurityHeaders(h)
	case API:
		h = au.bearer(h)
		h = http.NewCrossOriginProtection().Handler(h)
		h = recoverJSON(s.rt.log, h)
		h = APIHeaders(h)
	case Public:
		h = http.NewCrossOriginProtection().Handler(h)
		h = recoverJSON(s.rt.log, h)
		h = APIHeaders(h)
	case Intake:
		h = APIHeaders(h)
	}
	return h
}

// route serves r from the mux, answering what no route serves in the
// surface's own manner.
func (s *surface) route(w http.ResponseWriter, r *http.Request) {
	if s.serves(r) || s.kind == Intake || needsCleaning(r) {
		s.mux.ServeHTTP(w, r)
		return
	}
	status := http.StatusNotFound
	if methods := s.allowed(r); len(methods) > 0 {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		status = http.StatusMethodNotAllowed
	}
	switch s.kind {
	case UI:
		ErrorPage(w, r, status)
	default:
		d := ErrorDetail{Code: "not_found", Message: "not found"}
		if status == http.StatusMethodNotAllowed {
			d = ErrorDetail{Code: "method_not_allowed", Message: "use " + w.Header().Get("Allow")}
		}
		WriteJSON(w, status, ErrorBody{Error: d})
	}
}

// needsCleaning reports a path the mux answers with a redirect to its
// clean form.
func needsCleaning(r *http.Request) bool {
	p := r.URL.EscapedPath()
	if p == "" {
		return true
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c != p
}

// recoverPage turns a panic in a browser handler into the 500 page.
func recoverPage(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					ErrorPage(sw, r, http.StatusInternalServerError)
				}
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// recoverJSON turns a panic in an API handler into the API's JSON 500.
func recoverJSON(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					WriteError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// loginURL is where a browser is sent to sign in and come back.
func loginURL(r *http.Request) string {
	return "/login?next=" + url.QueryEscape(r.URL.RequestURI())
}

package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/web"
)

var root = authz.Actor{UserID: "cli", Email: "kubu-cli", Role: authz.WogAdmin}

// fixture is a Router with one route of each kind on each surface, over a
// real database with real accounts and tokens.
type fixture struct {
	rt      *web.Router
	srv     *httptest.Server
	token   string // an analyst's API token
	agency  string // the agency intake requests are stamped with
	logs    bytes.Buffer
	intakes int // intake requests authenticated
}

// echo answers which surface served the request and who the caller was.
func echo(surface string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := web.ActorFrom(r.Context())
		fmt.Fprintf(w, "%s actor=%s role=%s agency=%s", surface, a.Email, a.Role, web.IntakeAgency(r.Context()))
	}
}

func newFixture(t *testing.T, db *store.DB, pages bool) *fixture {
	t.Helper()
	ctx := context.Background()
	ring, _ := keys.New(bytes.Repeat([]byte{7}, 32))
	log := audit.New(db, ring)
	reg := registry.New(db, log)
	acc := accounts.New(db, log, reg, ring, accounts.Options{})
	u, err := acc.CreateUser(ctx, root, accounts.NewUser{Email: "ana@example.gov", Role: authz.Analyst, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := acc.CreateToken(ctx, root, u.ID, "t", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{token: tok, agency: "AGENCY-1"}
	sessions := scs.New()
	sessions.Store = memstore.New()
	au := &web.Authenticator{Accounts: acc, Sessions: sessions, EnrolPath: "/account/totp",
		Intake: func(w http.ResponseWriter, r *http.Request) (string, bool) {
			if !web.IntakeCredential(r) {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"text":"Token is required","code":2}`)
				return "", false
			}
			f.intakes++
			return f.agency, true
		}}
	f.rt = web.NewRouter(au, slog.New(slog.NewTextHandler(&f.logs, nil)))
	rt := f.rt
	rt.Handle(web.UI, "GET /{$}", authz.SignedIn, echo("browser"))
	rt.Handle(web.UI, "GET /vdp", authz.Public, echo("browser"))
	rt.Handle(web.UI, "POST /vdp/reports", authz.Public, echo("browser"))
	rt.Handle(web.UI, "GET /systems", authz.SystemRead, echo("browser"))
	rt.Handle(web.UI, "GET /api/docs", authz.Public, echo("browser")) // a page under /api/ is still a page
	rt.Handle(web.UI, "POST /things/{id}", authz.Public, echo("browser"))
	rt.Handle(web.UI, "GET /boom", authz.Public, func(http.ResponseWriter, *http.Request) { panic("boom") })
	rt.Handle(web.UI, "GET /hidden", authz.Public, web.NotFoundPage)
	rt.Handle(web.API, "GET /api/v1/systems", authz.SystemRead, echo("api"))
	rt.Handle(web.API, "GET /api/v1/users", authz.UserRead, echo("api"))
	rt.Handle(web.API, "GET /metrics", authz.SystemRead, echo("api")) // an API route outside /api/
	rt.Handle(web.API, "GET /api/v1/boom", authz.SystemRead, func(http.ResponseWriter, *http.Request) { panic("api boom") })
	rt.Handle(web.Public, "GET /healthz", authz.Public, echo("public"))
	rt.Handle(web.Public, "POST /api/v1/public/vdp/reports", authz.Public, echo("public"))
	rt.Handle(web.Intake, "GET /{$}", authz.IntakeSend, echo("intake"))
	rt.Handle(web.Intake, "HEAD /{$}", authz.IntakeSend, echo("intake"))
	rt.Handle(web.Intake, "POST /{index}/_bulk", authz.IntakeSend, echo("intake"))
	rt.Handle(web.Intake, "POST /services/collector/event", authz.IntakeSend, echo("intake"))
	if pages {
		rt.SetErrorPages(func(w http.ResponseWriter, r *http.Request, status int) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			title, _ := web.PageText(status)
			fmt.Fprintf(w, "<layout nonce=%q actor=%q>%d %s</layout>", web.Nonce(r.Context()), web.ActorFrom(r.Context()).Email, status, title)
		})
	}
	f.srv = httptest.NewServer(rt)
	t.Cleanup(f.srv.Close)
	return f
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(t *testing.T, method, path string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader("{}"))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

const (
	browserCSP = "script-src 'nonce-"
	apiCSP     = "default-src 'none'; frame-ancestors 'none'; sandbox"
)

// TestHeadersFollowTheSurface: the CSP is the surface's, whatever the path
// looks like (round 1 chose it by the /api/ prefix, so GET /metrics, an
// API route, got the browser's policy and a page under /api/ the API's).
func TestHeadersFollowTheSurface(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite), true)
	auth := "Bearer " + f.token
	for _, tt := range []struct {
		method, path string
		header       []string
		status       int
		csp          string
		body         string
	}{
		{"GET", "/vdp", nil, 200, browserCSP, "browser"},
		{"GET", "/api/docs", nil, 200, browserCSP, "browser"},
		{"GET", "/metrics", []string{"Authorization", auth}, 200, apiCSP, "api actor=ana@example.gov"},
		{"GET", "/api/v1/systems", []string{"Authorization", auth}, 200, apiCSP, "api actor=ana@example.gov role=analyst"},
		{"GET", "/healthz", nil, 200, apiCSP, "public actor= "},
		{"POST", "/logs-x/_bulk", []string{"Authorization", "ApiKey abc"}, 200, apiCSP, "intake"},
		{"GET", "/nowhere", nil, 404, browserCSP, "<layout"},
		{"GET", "/api/v1/nowhere", nil, 404, apiCSP, `"code":"not_found"`},
	} {
		a := f.do(t, tt.method, tt.path, tt.header...)
		if a.status != tt.status || !strings.Contains(a.header.Get("Content-Security-Policy"), tt.csp) || !strings.Contains(a.body, tt.body) {
			t.Errorf("%s %s: %d CSP %q body %q; want %d, CSP with %q, body with %q", tt.method, tt.path, a.status,
				a.header.Get("Content-Security-Policy"), a.body, tt.status, tt.csp, tt.body)
		}
		for _, h := range []string{"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
			if a.header.Get(h) == "" {
				t.Errorf("%s %s: no %s", tt.method, tt.path, h)
			}
		}
	}
	// Each browser answer has its own nonce, and the page gets it.
	a, b := f.do(t, "GET", "/nowhere"), f.do(t, "GET", "/nowhere")
	if a.header.Get("Content-Security-Policy") == b.header.Get("Content-Security-Policy") {
		t.Error("two browser answers share a CSP nonce")
	}
	if !strings.Contains(a.body, `nonce="`) || strings.Contains(a.body, `nonce=""`) {
		t.Errorf("the error page did not get the request's nonce: %s", a.body)
	}
}

// TestDispatch: which surface serves what.
func TestDispatch(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite), true)
	basic := func(pw string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:"+pw)) }
	for _, tt := range []struct {
		name, method, path string
		header             []string
		surface            web.Surface
	}{
		{"the home page", "GET", "/", nil, web.UI},
		{"an API token is not an intake credential", "GET", "/", []string{"Authorization", "Bearer kubu_abc"}, web.UI},
		{"Elasticsearch's GET / with an API key", "GET", "/", []string{"Authorization", "ApiKey aWQ6a3VidV9pbl94"}, web.Intake},
		{"HEAD / with Basic and an intake token", "HEAD", "/", []string{"Authorization", basic("kubu_in_abc")}, web.Intake},
		{"GET / with a bearer intake token", "GET", "/", []string{"Authorization", "Bearer kubu_in_abc"}, web.Intake},
		{"Basic with another password", "GET", "/", []string{"Authorization", basic("hunter2")}, web.UI},
		{"a shipper's bulk without credentials", "POST", "/logs/_bulk", nil, web.Intake},
		{"bulk on a path a page also matches, from a shipper", "POST", "/things/_bulk", []string{"Authorization", basic("kubu_in_abc")}, web.Intake},
		{"the same path from a browser", "POST", "/things/_bulk", nil, web.UI},
		{"HEC", "POST", "/services/collector/event", nil, web.Intake},
		{"the public API", "POST", "/api/v1/public/vdp/reports", nil, web.Public},
		{"an unknown public API path", "GET", "/api/v1/public/nope", nil, web.Public},
		{"an unknown API path", "DELETE", "/api/v1/nope", nil, web.API},
		{"another method of an API route", "POST", "/api/v1/systems", nil, web.API},
		{"an unknown page", "GET", "/no/such/page", nil, web.UI},
	} {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		for i := 0; i+1 < len(tt.header); i += 2 {
			req.Header.Set(tt.header[i], tt.header[i+1])
		}
		if got := f.rt.SurfaceOf(req); got != tt.surface {
			t.Errorf("%s: %s %s went to %s, want %s", tt.name, tt.method, tt.path, got, tt.surface)
		}
	}
	// And over the wire, intake authenticates with the protocol.
	if a := f.do(t, "GET", "/", "Authorization", basic("kubu_in_abc")); a.status != 200 || a.body != "intake actor= role= agency=AGENCY-1" {
		t.Errorf("GET / as a shipper: %d %q", a.status, a.body)
	}
	if a := f.do(t, "GET", "/"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?next=%2F" {
		t.Errorf("GET / from a browser: %d %s", a.status, a.header.Get("Location"))
	}
	// A listener of intake's own serves only intake: / is Elasticsearch's
	// for everyone, pages are not there.
	only := httptest.NewServer(f.rt.SurfaceHandler(web.Intake))
	defer only.Close()
	for path, want := range map[string]int{"/": 401, "/vdp": 404, "/api/v1/systems": 404} {
		resp, err := http.Get(only.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Content-Security-Policy") != apiCSP {
			t.Errorf("intake listener GET %s: %d (CSP %q), want %d", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"), want)
		}
	}
}

// BenchmarkDispatch measures choosing the surface and serving a request
// through its chain (an API route, a page, a shipper's bulk request).
func BenchmarkDispatch(b *testing.B) {
	rt := web.NewRouter(&web.Authenticator{}, nil)
	for i := range 60 {
		rt.Handle(web.UI, fmt.Sprintf("GET /page%d/{id}", i), authz.Public, func(http.ResponseWriter, *http.Request) {})
		rt.Handle(web.Public, fmt.Sprintf("GET /api/v1/public/thing%d/{id}", i), authz.Public, func(http.ResponseWriter, *http.Request) {})
	}
	rt.Handle(web.Intake, "POST /{index}/_bulk", authz.IntakeSend, func(http.ResponseWriter, *http.Request) {})
	for _, tt := range []struct{ name, method, path, auth string }{
		{"public", "GET", "/api/v1/public/thing59/x", ""},
		{"page", "GET", "/page30/x", ""},
		{"intake", "POST", "/logs/_bulk", "ApiKey abc"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			for b.Loop() {
				rt.SurfaceOf(req)
			}
		})
	}
}

// TestErrorAnswersPerSurface: the browser answers pages, the API and the
// public API JSON, intake its protocol's answers.
func TestErrorAnswersPerSurface(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite), true)
	var e web.ErrorBody
	a := f.do(t, "POST", "/api/v1/systems", "Authorization", "Bearer "+f.token)
	if json.Unmarshal([]byte(a.body), &e); a.status != 405 || e.Error.Code != "method_not_allowed" || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("API 405: %d %s %q", a.status, a.body, a.header.Get("Allow"))
	}
	a = f.do(t, "GET", "/api/v1/public/nope")
	if json.Unmarshal([]byte(a.body), &e); a.status != 404 || e.Error.Code != "not_found" {
		t.Errorf("public 404: %d %s", a.status, a.body)
	}
	a = f.do(t, "DELETE", "/vdp")
	if a.status != 405 || !strings.Contains(a.body, "<layout") || !strings.Contains(a.body, "405 Not available") {
		t.Errorf("browser 405: %d %s", a.status, a.body)
	}
	a = f.do(t, "POST", "/services/collector/event")
	if a.status != 401 || a.body != `{"text":"Token is required","code":2}` {
		t.Errorf("intake without a token: %d %s", a.status, a.body)
	}
	a = f.do(t, "GET", "/hidden")
	if a.status != 404 || !strings.Contains(a.body, "404 Page not found") {
		t.Errorf("a handler's NotFoundPage: %d %s", a.status, a.body)
	}
	a = f.do(t, "GET", "/boom")
	if a.status != 500 || !strings.Contains(a.body, "500 Something went wrong") || !strings.Contains(f.logs.String(), "panic serving request") {
		t.Errorf("a panic: %d %s (log %s)", a.status, a.body, f.logs.String())
	}
	a = f.do(t, "GET", "/api/v1/boom", "Authorization", "Bearer "+f.token)
	if json.Unmarshal([]byte(a.body), &e); a.status != 500 || e.Error.Code != "internal" {
		t.Errorf("a panic in the API: %d %s", a.status, a.body)
	}
	// A browser form posted from another site is refused with the 403 page;
	// a shipper's request carrying the same headers is not a browser's.
	a = f.do(t, "POST", "/vdp/reports", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if a.status != 403 || !strings.Contains(a.body, "403 Not allowed") {
		t.Errorf("cross-site form post: %d %s", a.status, a.body)
	}
	a = f.do(t, "POST", "/api/v1/public/vdp/reports", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if a.status != 403 {
		t.Errorf("cross-site post to the public API: %d %s", a.status, a.body)
	}
	a = f.do(t, "POST", "/logs/_bulk", "Sec-Fetch-Site", "cross-site", "Origin", "https://app.example", "Authorization", "ApiKey x")
	if a.status != 200 {
		t.Errorf("cross-site shipper (e.g. OpenTelemetry in a browser): %d %s", a.status, a.body)
	}
}

// TestAuthenticationPerSurface: bearer tokens on the API, sessions in the
// browser, nothing on the public surface.
func TestAuthenticationPerSurface(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite), true)
	for _, tt := range []struct {
		name, method, path string
		header             []string
		status             int
		body               string
	}{
		{"no token", "GET", "/api/v1/systems", nil, 401, `"unauthenticated"`},
		{"a bad token", "GET", "/api/v1/systems", []string{"Authorization", "Bearer kubu_nope"}, 401, `"unauthenticated"`},
		{"not a bearer", "GET", "/api/v1/systems", []string{"Authorization", "Basic eDp5"}, 401, `"unauthenticated"`},
		{"a good token", "GET", "/api/v1/systems", []string{"Authorization", "Bearer " + f.token}, 200, "role=analyst"},
		{"no grant for the action", "GET", "/api/v1/users", []string{"Authorization", "Bearer " + f.token}, 403, `"forbidden"`},
		{"the public surface reads no credential", "GET", "/healthz", []string{"Authorization", "Bearer " + f.token}, 200, "public actor= role="},
		{"a page without a session", "GET", "/systems", nil, 303, ""},
		{"a form without a session", "POST", "/things/x", nil, 200, "browser actor= "},
	} {
		a := f.do(t, tt.method, tt.path, tt.header...)
		if a.status != tt.status || !strings.Contains(a.body, tt.body) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, a.status, a.body, tt.status, tt.body)
		}
		if tt.status == 401 && a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	}
	if a := f.do(t, "GET", "/systems?x=1"); a.header.Get("Location") != "/login?next=%2Fsystems%3Fx%3D1" {
		t.Errorf("sign-in redirect: %q", a.header.Get("Location"))
	}
	// The browser never takes an API token as a session.
	if a := f.do(t, "GET", "/systems", "Authorization", "Bearer "+f.token); a.status != 303 {
		t.Errorf("a page with a bearer token: %d", a.status)
	}
}

// TestPlainErrorPagesWithoutHook: before the ui sets its pages, the browser
// still answers HTML error pages (escaped, with a way home).
func TestPlainErrorPagesWithoutHook(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite), false)
	a := f.do(t, "GET", "/nowhere")
	if a.status != 404 || !strings.Contains(a.body, "<h1>Page not found</h1>") || !strings.Contains(a.body, `<a href="/">`) ||
		!strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("plain 404: %d %s", a.status, a.body)
	}
	for _, status := range []int{401, 403, 404, 405, 429, 500} {
		title, text := web.PageText(status)
		if title == "" || text == "" {
			t.Errorf("no text for %d", status)
		}
	}
}

// TestHandleRefusesMismatchedRoutes: the surface decides authentication,
// so a route's action must fit its surface.
func TestHandleRefusesMismatchedRoutes(t *testing.T) {
	rt := web.NewRouter(&web.Authenticator{}, nil)
	for _, tt := range []struct {
		s       web.Surface
		pattern string
		act     authz.Action
	}{
		{web.Public, "GET /x", authz.SystemRead},
		{web.API, "GET /api/v1/x", authz.Public},
		{web.Intake, "POST /x", authz.Public},
		{web.UI, "/no-method", authz.Public},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s %s with %s was accepted", tt.s, tt.pattern, tt.act)
				}
			}()
			rt.Handle(tt.s, tt.pattern, tt.act, func(http.ResponseWriter, *http.Request) {})
		}()
	}
	rt.Handle(web.UI, "GET /a", authz.Public, func(http.ResponseWriter, *http.Request) {})
	if r := rt.Routes(); len(r) != 1 || r[0].Surface != web.UI || r[0].Pattern != "/a" || r[0].Method != "GET" {
		t.Errorf("routes: %+v", r)
	}
}

func TestIntakeCredential(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for h, want := range map[string]bool{
		"":                                 false,
		"Splunk abc":                       true,
		"splunk":                           false,
		"ApiKey " + b64("id:kubu_in_x"):    true,
		"Bearer kubu_in_abc":               true,
		"bearer kubu_in_abc":               true,
		"Bearer kubu_abc":                  false,
		"Basic " + b64("x:kubu_in_abc"):    true,
		"Basic " + b64("kubu_in_abc:"):     false,
		"Basic !!!":                        false,
		"Digest username=\"x\"":            false,
		"Basic " + b64("x:kubu_in_abc:pw"): true,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if got := web.IntakeCredential(r); got != want {
			t.Errorf("IntakeCredential(%q) = %v, want %v", h, got, want)
		}
	}
}

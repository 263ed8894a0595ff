package app_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// publicRoutes is the explicit list of routes anyone may reach without
// signing in. A route that is public but not listed here fails the test.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /readyz":              true,
	"GET /api/v1/openapi.json": true,
	"GET /static/{file...}":    true,
	"GET /login":               true,
	"POST /login":              true,
	"GET /login/totp":          true,
	"POST /login/totp":         true,
	"POST /logout":             true,
	// Passkeys: sign-in with one, and the second step after a password
	// (the ceremony's challenge lives in the session).
	"POST /login/passkey/options": true,
	"POST /login/passkey":         true,
	"GET /login/second":           true,
	"POST /login/second/options":  true,
	"POST /login/second":          true,

	// Community programmes: security.txt, the public VDP pages and API
	// (all rate-limited), researcher self-registration.
	"GET /.well-known/security.txt":                            true,
	"GET /vdp":                                                 true,
	"POST /vdp/reports":                                        true,
	"GET /vdp/track":                                           true,
	"POST /vdp/track":                                          true,
	"GET /vdp/reports/{id}":                                    true,
	"GET /vdp/reports/{id}/receipt.txt":                        true,
	"GET /favicon.ico":                                         true,
	"POST /vdp/reports/{id}/messages":                          true,
	"POST /vdp/reports/{id}/token":                             true,
	"POST /vdp/reports/{id}/disclosure":                        true,
	"GET /vdp/reports/{id}/attachments/{aid}":                  true,
	"GET /vdp/stats":                                           true,
	"GET /vdp/disclosures":                                     true,
	"GET /vdp/cvss":                                            true,
	"GET /researchers/register":                                true,
	"POST /researchers/register":                               true,
	"GET /researchers/verify":                                  true,
	"POST /researchers/verify":                                 true,
	"GET /api/v1/public/programmes":                            true,
	"POST /api/v1/public/vdp/reports":                          true,
	"GET /api/v1/public/vdp/reports/{tracking_id}":             true,
	"POST /api/v1/public/vdp/reports/{tracking_id}/messages":   true,
	"POST /api/v1/public/vdp/reports/{tracking_id}/token":      true,
	"POST /api/v1/public/vdp/reports/{tracking_id}/disclosure": true,
	"GET /api/v1/public/vdp/reports/{tracking_id}/attachments/{attachment_id}": true,
	"GET /api/v1/public/vdp/stats":                                             true,
	"GET /api/v1/public/disclosures":                                           true,
	"POST /api/v1/public/researchers":                                          true,
	"POST /api/v1/public/researchers/verify":                                   true,
	"GET /researchers/verify/resend":                                           true,
	"POST /researchers/verify/resend":                                          true,
	"GET /password/forgot":                                                     true,
	"POST /password/forgot":                                                    true,
	"GET /password/reset":                                                      true,
	"POST /password/reset":                                                     true,
	"POST /api/v1/public/password-reset":                                       true,
	"POST /api/v1/public/password-reset/confirm":                               true,

	// Firewalls' block lists: their own credential (HTTP Basic with a feed
	// token), checked by the handler; without one they answer 401.
	"GET /feeds/edl/ip.txt":     true,
	"GET /feeds/edl/domain.txt": true,
	"GET /feeds/edl/url.txt":    true,
}

var param = regexp.MustCompile(`\{[^}]+\}`)

// walkers are who walks every route: anonymous and one user of each role
// (agency roles of MOH).
var walkers = []string{"", "admin", "analyst", "triager", "a-admin", "a-member", "researcher"}

// answer classes of the walk.
const (
	classPass  = "pass"  // the guard let it through: the handler answered (2xx, 3xx, 400, 404, 405, 409, 413, 415, 429…)
	class401   = "401"   // sign in first (API, intake, a browser form)
	classLogin = "login" // a browser page redirects to sign in
	class403   = "403"   // the role holds no grant for the route's action
	classNo    = "no"    // intake refused the credential (401 or 403, as the protocol answers)
)

// TestEveryRouteIsGuarded walks every registered route as anonymous and as
// every role, with made-up ids, and checks each answer's class against
// the route's surface and action: the public routes are open to all;
// intake answers 401 to anyone without an intake token; API routes answer
// 401 without a token and 403 to a role that holds no grant for their
// action (the same for a real id as for a made-up one); pages redirect to
// sign in or answer 401 without a session and the 403 page to a role with
// no grant. Nothing answers 5xx. testdata/routes.golden records the whole
// table, so a change of access shows in review (-update rewrites it).
func TestEveryRouteIsGuarded(t *testing.T) {
	ta := newTestAppTOTP(t, store.SQLite, false)
	routes := ta.Router().Routes()
	if len(routes) < 100 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Pattern != routes[j].Pattern {
			return routes[i].Pattern < routes[j].Pattern
		}
		return routes[i].Method < routes[j].Method
	})
	browsers := map[string]*http.Client{}
	signIn := func(who string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if who != "" {
			form := url.Values{"email": {ta.emails[who]}, "password": {"correct horse battery staple"}}
			req, _ := http.NewRequest("POST", ta.srv.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", ta.srv.URL)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signing %s in: %d", who, resp.StatusCode)
			}
		}
		browsers[who] = c
	}
	for _, who := range walkers {
		signIn(who)
	}
	seenPublic := map[string]bool{}
	var golden strings.Builder
	golden.WriteString("# Every route × who asks → the class of the answer (internal/app/routes_test.go).\n")
	golden.WriteString("# pass: the guard let it through · 401 · login: redirected to sign in · 403: no grant for the action\n")
	golden.WriteString("# no: intake refused (no intake token) · ids in paths are made up, so pass includes the handler's 404\n")
	golden.WriteString("# Regenerate after a deliberate change: go test ./internal/app -run TestEveryRouteIsGuarded -update\n\n")
	tw := tabwriter.NewWriter(&golden, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "route\tsurface\taction\tanonymous\twog-admin\tanalyst\ttriager\tagency-admin\tagency-member\tresearcher")
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if rt.Action == authz.Public {
			if !publicRoutes[key] {
				t.Errorf("%s is public but not in the explicit public list", key)
			}
			seenPublic[key] = true
		} else if publicRoutes[key] {
			t.Errorf("%s is in the public list but requires %s", key, rt.Action)
		}
		path := param.ReplaceAllString(strings.TrimSuffix(rt.Pattern, "{$}"), "01m8jhcf27vr9jkzj71yw85x8a")
		row := []string{key, rt.Surface.String(), string(rt.Action)}
		for _, who := range walkers {
			req, _ := http.NewRequest(rt.Method, ta.srv.URL+path, strings.NewReader("{}"))
			var client *http.Client
			switch rt.Surface {
			case web.UI:
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", ta.srv.URL)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				client = browsers[who]
			default:
				req.Header.Set("Content-Type", "application/json")
				if who != "" {
					req.Header.Set("Authorization", "Bearer "+ta.tokens[who])
				}
				client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := classify(resp)
			switch {
			case rt.Action == authz.Public:
				got = classPass // no guard: whatever the handler answers (it may send to /login itself)
			case rt.Surface == web.Intake && (got == class401 || got == class403):
				got = classNo
			}
			// /readyz answers 503 by design here: the walk opens no event log.
			if resp.StatusCode >= 500 && (key != "GET /readyz" || resp.StatusCode != 503) {
				got = fmt.Sprint(resp.StatusCode)
			}
			want := expectedClass(t, ta, rt, who)
			if got != want {
				t.Errorf("%s as %s answered %d (%s), want %s: %.200s", key, nameOf(who), resp.StatusCode, got, want, body)
			}
			if got == class403 && rt.Surface == web.API && !strings.Contains(string(body), `"code":"forbidden"`) {
				t.Errorf("%s as %s: 403 without the forbidden error: %s", key, nameOf(who), body)
			}
			row = append(row, got)
			if strings.HasPrefix(rt.Pattern, "/login") || rt.Pattern == "/logout" {
				signIn(who) // those may end or change the session
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	for k := range publicRoutes {
		if !seenPublic[k] {
			t.Errorf("public list names %s, which is not registered", k)
		}
	}
	path := filepath.Join("testdata", "routes.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != golden.String() {
		gl, wl := strings.Split(golden.String(), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
				var g, w string
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				t.Errorf("routes.golden line %d:\n got  %s\n want %s", i+1, g, w)
				break
			}
		}
		t.Error("the route table differs from testdata/routes.golden; if the change is deliberate, run with -update and review the diff")
	}
}

func nameOf(who string) string {
	if who == "" {
		return "anonymous"
	}
	return who
}

// classify names the class of an answer.
func classify(resp *http.Response) string {
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return class401
	case resp.StatusCode == http.StatusForbidden:
		return class403
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
		return classLogin
	}
	return classPass
}

// expectedClass is what the surface and authz say the answer must be.
func expectedClass(t *testing.T, ta *testApp, rt web.Route, who string) string {
	t.Helper()
	switch {
	case rt.Surface == web.Intake:
		return classNo // no intake token (an API token is not one)
	case rt.Action == authz.Public:
		return classPass
	case who == "" && rt.Surface == web.UI && (rt.Method == http.MethodGet || rt.Method == http.MethodHead):
		return classLogin
	case who == "":
		return class401
	}
	switch err := authz.Check(ta.actor(t, who), rt.Action, authz.Collection()); {
	case err == nil:
		return classPass
	case errors.Is(err, authz.ErrForbidden):
		return class403
	default:
		t.Fatalf("%s as %s: authz says %v for the collection", rt.Pattern, who, err)
	}
	return ""
}

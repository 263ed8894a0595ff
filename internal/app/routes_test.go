package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// publicRoutes is the explicit list of routes anyone may reach without
// signing in. A route that is public but not listed here fails the test.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /api/v1/openapi.json": true,
	"GET /static/{file...}":    true,
	"GET /login":               true,
	"POST /login":              true,
	"GET /login/totp":          true,
	"POST /login/totp":         true,
	"POST /logout":             true,

	// Community programmes: security.txt, the public VDP pages and API
	// (all rate-limited), researcher self-registration.
	"GET /.well-known/security.txt":                            true,
	"GET /vdp":                                                 true,
	"POST /vdp/reports":                                        true,
	"GET /vdp/track":                                           true,
	"POST /vdp/track":                                          true,
	"GET /vdp/reports/{id}":                                    true,
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

// TestEveryRouteIsGuarded walks every registered route and proves that
// none is reachable without the access check: without credentials each
// answers 401 (API, intake) or a redirect to sign in (UI pages), and every
// role that holds no grant for a route's action gets 403 from every API
// route, the same for a real id as for a made-up one.
func TestEveryRouteIsGuarded(t *testing.T) {
	ta := newTestApp(t, store.SQLite)
	routes := ta.Router().Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	seenPublic := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if rt.Action == authz.Public {
			if !publicRoutes[key] {
				t.Errorf("%s is public but not in the explicit public list", key)
			}
			seenPublic[key] = true
			continue
		}
		if publicRoutes[key] {
			t.Errorf("%s is in the public list but requires %s", key, rt.Action)
		}
		path := param.ReplaceAllString(strings.TrimSuffix(rt.Pattern, "{$}"), "01m8jhcf27vr9jkzj71yw85x8a")
		req, _ := http.NewRequest(rt.Method, ta.srv.URL+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch rt.Surface {
		case web.API, web.Intake:
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without credentials answered %d, want 401", key, resp.StatusCode)
			}
		case web.UI:
			want := http.StatusSeeOther
			if rt.Method != http.MethodGet {
				want = http.StatusUnauthorized
			}
			if resp.StatusCode != want || (want == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/login")) {
				t.Errorf("%s without a session answered %d %s, want %d to /login", key, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		}
		// Every role that holds no grant for the route's action gets the
		// same 403 from it, whatever the record: it learns nothing.
		if rt.Surface == web.API {
			for _, who := range []string{"admin", "analyst", "triager", "a-admin", "a-member", "researcher"} {
				if authz.Check(ta.actor(t, who), rt.Action, authz.Collection()) == nil {
					continue
				}
				code, body := ta.do(t, who, rt.Method, path, "{}")
				if code != http.StatusForbidden || body["error"].(map[string]any)["code"] != "forbidden" {
					t.Errorf("%s as %s (no grant for %s) answered %d %v, want 403 forbidden", key, who, rt.Action, code, body)
				}
			}
		}
	}
	for k := range publicRoutes {
		if !seenPublic[k] {
			t.Errorf("public list names %s, which is not registered", k)
		}
	}
}

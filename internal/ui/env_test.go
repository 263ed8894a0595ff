package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// password is every test user's password.
const password = "correct horse battery staple"

// root acts for the set-up, as the command line does.
var root = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}

// env is a real kubu (SQLite in a temp dir, the app's own handler) with
// two agencies, A (MOH) and B (MOE), a user of every role, and a system
// and a finding in each agency.
type env struct {
	app     *app.App
	srv     *httptest.Server
	agency  map[string]registry.Agency // "A", "B"
	user    map[string]accounts.User   // by key, see newEnv
	system  map[string]registry.System // "A", "B"
	finding map[string]findings.Finding
	logs    *logBuffer // what kubu logged (info and up); with mail off, the links people need
}

// newEnv starts kubu. requireTOTP is the RequireTOTP setting.
func newEnv(t testing.TB, requireTOTP bool) *env {
	t.Helper()
	return newEnvWith(t, requireTOTP, nil)
}

// newEnvWith is newEnv with more settings (mod changes the configuration).
func newEnvWith(t testing.TB, requireTOTP bool, mod func(*config.Config)) *env {
	t.Helper()
	opts := storetest.Options(t, store.SQLite)
	cfg := &config.Config{DataDir: t.TempDir(), DatabaseURL: opts.URL, Addr: "127.0.0.1:0", RequireTOTP: requireTOTP}
	if mod != nil {
		mod(cfg)
	}
	logs := &logBuffer{}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e := &env{app: a, logs: logs, agency: map[string]registry.Agency{}, user: map[string]accounts.User{},
		system: map[string]registry.System{}, finding: map[string]findings.Finding{}}
	e.srv = httptest.NewServer(a.Handler())
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	for key, in := range map[string]registry.NewAgency{"A": {Code: "MOH", Name: "Ministry of Health"}, "B": {Code: "MOE", Name: "Ministry of Education"}} {
		ag, err := a.Registry.CreateAgency(ctx, root, in)
		if err != nil {
			t.Fatal(err)
		}
		e.agency[key] = ag
	}
	for _, u := range []struct{ key, email, role, agency string }{
		{"admin", "admin@example.gov", "wog-admin", ""},
		{"analyst", "analyst@example.gov", "analyst", ""},
		{"triager", "triager@example.gov", "triager", ""},
		{"a-admin", "admin@moh.example.gov", "agency-admin", "MOH"},
		{"a-admin2", "admin2@moh.example.gov", "agency-admin", "MOH"},
		{"a-member", "member@moh.example.gov", "agency-member", "MOH"},
		{"b-admin", "admin@moe.example.gov", "agency-admin", "MOE"},
		{"b-member", "member@moe.example.gov", "agency-member", "MOE"},
		{"researcher", "hacker@example.com", "researcher", ""},
	} {
		created, err := a.Accounts.CreateUser(ctx, root, accounts.NewUser{Email: u.email, Role: authz.Role(u.role), Agency: u.agency, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		e.user[u.key] = created
	}
	for key, code := range map[string]string{"A": "MOH", "B": "MOE"} {
		name, desc := "Portal "+code, "The "+code+" portal."
		hosts := []string{strings.ToLower(code) + ".gov.example"}
		s, err := a.Registry.CreateSystem(ctx, root, registry.SystemInput{Agency: code, Name: &name, Description: &desc, Hostnames: &hosts})
		if err != nil {
			t.Fatal(err)
		}
		e.system[key] = s
		f, err := a.Findings.Create(ctx, root, findings.NewFinding{SystemID: s.ID, Source: "vdp", Title: "Stored XSS in " + code + " search",
			Description: "The **search** box reflects `<script>` tags.\n\n| a | b |\n|:--|--:|\n| 1 | 2 |", Severity: "high",
			FoundAt: time.Now().Add(-40 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		e.finding[key] = f
	}
	return e
}

// client is a browser-like HTTP client with its own cookie jar that does
// not follow redirects, so tests see each 303.
type client struct {
	t   testing.TB
	e   *env
	hc  *http.Client
	who string
}

func (e *env) anonymous(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs a user in with their password (the env must not require
// TOTP; TestTOTPEnrolmentHoldsStaff and the browser test do the two-factor
// dance).
func (e *env) signIn(t testing.TB, key string) *client {
	t.Helper()
	c := e.anonymous(t)
	c.who = key
	res := c.post("/login", url.Values{"email": {e.user[key].Email}, "password": {password}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign-in of %s answered %d: %s", key, res.status, res.body)
	}
	return c
}

// response is what a request answered.
type response struct {
	status   int
	location string
	body     string
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && (resp.StatusCode < 300 || resp.StatusCode >= 400) {
		checkPage(c.t, req.Method+" "+req.URL.Path, r.body)
	}
	return r
}

// get fetches a path.
func (c *client) get(path string) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form as a same-origin browser would.
func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// follow posts a form, expects a 303, and fetches where it points.
func (c *client) follow(path string, form url.Values) response {
	c.t.Helper()
	res := c.post(path, form)
	if res.status != http.StatusSeeOther {
		c.t.Fatalf("POST %s as %s answered %d, want 303; body:\n%s", path, c.who, res.status, excerpt(res.body))
	}
	return c.get(res.location)
}

// excerpt keeps failure messages short: the main element of a page.
func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

// mustContain fails unless body contains every string.
func mustContain(t testing.TB, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not contain %q; body:\n%s", what, w, excerpt(body))
		}
	}
}

// mustNotContain fails if body contains any of the strings.
func mustNotContain(t testing.TB, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s contains %q; body:\n%s", what, w, excerpt(body))
		}
	}
}

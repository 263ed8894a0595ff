package ui_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/oidc/oidctest"
	"github.com/kubu-gov/kubu/internal/registry"
)

const claimMap = `# test mapping
groups  kubu-analysts  analyst
groups  moh-security   agency-admin  MOH
groups  agency-staff   agency-member $agency_code
`

// ssoEnv is kubu with single sign-on against a real test provider.
type ssoEnv struct {
	app  *app.App
	base string
	idp  *oidctest.Provider
	logs *logBuffer
}

func newSSOEnv(t testing.TB, staffPasswords bool) *ssoEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idp := oidctest.New("kubu", "kubu-client-secret", base+app.OIDCCallbackPath)
	t.Cleanup(idp.Close)
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "claims.map")
	os.WriteFile(mapFile, []byte(claimMap), 0o600)
	env := map[string]string{"KUBU_OIDC_CLIENT_SECRET": "kubu-client-secret"}
	var cfg config.Config
	fs := ssoFlagSet()
	config.Serve(fs, &cfg, func(k string) string { return env[k] })
	args := []string{"--data", filepath.Join(dir, "data"), "--addr", ln.Addr().String(), "--public-url", base,
		"--oidc-issuer", idp.URL, "--oidc-client-id", "kubu", "--oidc-claim-map", mapFile, "--oidc-name", "GovID"}
	if !staffPasswords {
		args = append(args, "--staff-passwords=false")
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Finish(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	a, err := app.Open(context.Background(), &cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for _, in := range []registry.NewAgency{{Code: "MOH", Name: "Ministry of Health"}, {Code: "MOE", Name: "Ministry of Education"}} {
		if _, err := a.Registry.CreateAgency(ctx, root, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct{ email, role string }{{"analyst@example.gov", "analyst"}, {"hacker@example.com", "researcher"}} {
		if _, err := a.Accounts.CreateUser(ctx, root, accounts.NewUser{Email: u.email, Role: authz.Role(u.role), Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	return &ssoEnv{app: a, base: base, idp: idp, logs: logs}
}

// browser is an HTTP client with cookies that follows redirects across
// kubu and the provider, as a browser does.
func (e *ssoEnv) browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func ssoGet(t testing.TB, c *http.Client, u string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.String(), string(b)
}

// signedInAs is who kubu says the browser is (its account page), or "".
func (e *ssoEnv) signedInAs(t testing.TB, c *http.Client) string {
	t.Helper()
	code, at, body := ssoGet(t, c, e.base+"/account")
	if code != 200 || strings.Contains(at, "/login") {
		return ""
	}
	return body
}

// TestOIDCSignIn: a first sign-in makes the account the claim mapping
// says (role and agency), later sign-ins find it by the provider's
// subject, an existing account is matched by the verified email, and
// signing out offers the provider's sign-out.
func TestOIDCSignIn(t *testing.T) {
	e := newSSOEnv(t, true)
	c := e.browser(t)
	e.idp.SignInAs(map[string]any{"sub": "moh-7", "email": "Lim.Mei@Health.gov.example", "email_verified": true, "name": "Lim Mei",
		"groups": []string{"staff", "moh-security"}})
	code, at, body := ssoGet(t, c, e.base+"/login/oidc?next=/account")
	if code != 200 || at != e.base+"/account" {
		t.Fatalf("sign-in through the provider ended at %s (%d):\n%s", at, code, excerpt(body))
	}
	mustContain(t, "account page", body, "lim.mei@health.gov.example", "agency-admin", "MOH")
	u, err := e.app.Accounts.UserByEmail(context.Background(), "lim.mei@health.gov.example")
	if err != nil || u.Role != authz.AgencyAdmin || u.Agency != "MOH" || u.EmailVerifiedAt == nil || u.Name != "Lim Mei" {
		t.Fatalf("account made at first sign-in: %+v %v", u, err)
	}
	// Signing out: kubu's session ends; the provider's sign-out is offered.
	form := url.Values{}
	req, _ := http.NewRequest("POST", e.base+"/logout", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mustContain(t, "signed-out page", string(b), "Sign out of GovID too", e.idp.URL+"/logout?", "id_token_hint=")
	if e.signedInAs(t, c) != "" {
		t.Fatal("still signed in after signing out")
	}
	// The same person again: found by subject, even with another email now.
	e.idp.SignInAs(map[string]any{"sub": "moh-7", "email": "mei.lim@health.gov.example", "email_verified": true})
	ssoGet(t, c, e.base+"/login/oidc")
	if body := e.signedInAs(t, c); !strings.Contains(body, "lim.mei@health.gov.example") {
		t.Fatalf("second sign-in is not the same account:\n%s", excerpt(body))
	}
	// An existing staff account is matched by the verified email.
	c2 := e.browser(t)
	e.idp.SignInAs(map[string]any{"sub": "soc-1", "email": "analyst@example.gov", "email_verified": true})
	ssoGet(t, c2, e.base+"/login/oidc")
	if body := e.signedInAs(t, c2); !strings.Contains(body, "analyst@example.gov") {
		t.Fatalf("existing account not matched by email:\n%s", excerpt(body))
	}
	audit := e.auditCodes(t)
	if audit["U1015I"] != 2 || audit["U1006I"] < 3 {
		t.Fatalf("audit: %v, want two identity links and three sign-ins", audit)
	}
}

func (e *ssoEnv) auditCodes(t testing.TB) map[string]int {
	t.Helper()
	recs, err := e.app.Audit.List(context.Background(), audit.Filter{AllAgencies: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range recs {
		out[r.Code]++
	}
	return out
}

func ssoFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("kubu serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// TestOIDCRefusals: no account is made or signed in when the provider's
// token has a bad signature, another audience, has expired or carries an
// earlier sign-in's nonce; nor when the callback is replayed, the email is
// not verified, the claims give no role, or the account is a researcher.
func TestOIDCRefusals(t *testing.T) {
	e := newSSOEnv(t, true)
	who := map[string]any{"sub": "x-1", "email": "new.person@health.gov.example", "email_verified": true, "groups": []string{"moh-security"}}
	for _, tc := range []struct {
		name   string
		fault  oidctest.Fault
		claims map[string]any
		want   string
	}{
		{"bad signature", oidctest.BadSignature, who, "could not be verified"},
		{"wrong audience", oidctest.WrongAudience, who, "could not be verified"},
		{"expired token", oidctest.Expired, who, "could not be verified"},
		{"replayed nonce", oidctest.ReplayNonce, who, "could not be verified"},
		{"unverified email", oidctest.None, map[string]any{"sub": "x-2", "email": "analyst@example.gov", "email_verified": false}, "has not verified your email"},
		{"no role in the claims", oidctest.None, map[string]any{"sub": "x-3", "email": "someone@example.gov", "email_verified": true, "groups": []string{"staff"}}, "does not say which role"},
		{"unknown agency", oidctest.None, map[string]any{"sub": "x-4", "email": "b@example.gov", "email_verified": true, "groups": []string{"agency-staff"}, "agency_code": "XYZ"}, "not in kubu"},
		{"a researcher", oidctest.None, map[string]any{"sub": "x-5", "email": "hacker@example.com", "email_verified": true}, "Single sign-on is for staff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.browser(t)
			if tc.fault == oidctest.ReplayNonce {
				// An earlier, finished sign-in in another browser (whose nonce
				// the provider then reuses).
				e.idp.SignInAs(map[string]any{"sub": "soc-9", "email": "analyst@example.gov", "email_verified": true})
				ssoGet(t, e.browser(t), e.base+"/login/oidc")
			}
			e.idp.SignInAs(tc.claims)
			e.idp.Fail(tc.fault)
			code, _, body := ssoGet(t, c, e.base+"/login/oidc")
			if code != http.StatusUnauthorized || !strings.Contains(body, tc.want) {
				t.Fatalf("answered %d, want 401 saying %q:\n%s", code, tc.want, excerpt(body))
			}
			if e.signedInAs(t, c) != "" {
				t.Fatal("signed in after a refused sign-in")
			}
		})
	}
	if _, err := e.app.Accounts.UserByEmail(context.Background(), "new.person@health.gov.example"); err == nil {
		t.Fatal("an account was made from a refused token")
	}
	t.Run("replayed callback", func(t *testing.T) {
		c := e.browser(t)
		e.idp.SignInAs(map[string]any{"sub": "soc-2", "email": "second.analyst@example.gov", "email_verified": true, "groups": []string{"kubu-analysts"}})
		var callback string
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), e.base+app.OIDCCallbackPath) {
				callback = req.URL.String()
			}
			return nil
		}
		ssoGet(t, c, e.base+"/login/oidc")
		if callback == "" || e.signedInAs(t, c) == "" {
			t.Fatal("the first sign-in did not work")
		}
		thief := e.browser(t)
		if code, _, body := ssoGet(t, thief, callback); code != http.StatusUnauthorized || !strings.Contains(body, "not the one kubu started") {
			t.Fatalf("a stolen callback URL in another browser answered %d:\n%s", code, excerpt(body))
		}
		if code, _, _ := ssoGet(t, c, callback); code != http.StatusUnauthorized {
			t.Fatalf("the same callback twice answered %d", code)
		}
	})
}

// TestStaffPasswordsOff: with local passwords off for staff, a staff
// member's right password is answered "use single sign-on" (a wrong one
// as any wrong one), no reset link is made for them, researchers keep
// their passwords, and single sign-on works.
func TestStaffPasswordsOff(t *testing.T) {
	e := newSSOEnv(t, false)
	post := func(c *http.Client, path string, form url.Values) (int, string) {
		req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.base)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	c := e.browser(t)
	if code, body := post(c, "/login", url.Values{"email": {"analyst@example.gov"}, "password": {password}}); code != 401 || !strings.Contains(body, "Staff sign in with single sign-on") {
		t.Fatalf("staff password: %d\n%s", code, excerpt(body))
	}
	if code, body := post(c, "/login", url.Values{"email": {"analyst@example.gov"}, "password": {"not the password at all"}}); code != 401 || strings.Contains(body, "single sign-on.") || !strings.Contains(body, "not right") {
		t.Fatalf("wrong staff password: %d\n%s", code, excerpt(body))
	}
	if e.signedInAs(t, c) != "" {
		t.Fatal("a staff password signed in")
	}
	if code, _ := post(c, "/login", url.Values{"email": {"hacker@example.com"}, "password": {password}}); code != http.StatusOK || !strings.Contains(e.signedInAs(t, c), "hacker@example.com") {
		t.Fatalf("researcher password: %d", code)
	}
	// RequestLink refuses the staff account: the message says so and
	// carries no link (with mail off, kubu logs links it would send).
	if err := e.app.Accounts.RequestLink(context.Background(), "analyst@example.gov"); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Accounts.RequestLink(context.Background(), "hacker@example.com"); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if strings.Contains(logs, `"to":"analyst@example.gov","link"`) || !strings.Contains(logs, "hacker@example.com") {
		t.Fatalf("links: a staff account got a password link, or the researcher none:\n%s", logs)
	}
	e.idp.SignInAs(map[string]any{"sub": "soc-1", "email": "analyst@example.gov", "email_verified": true})
	c2 := e.browser(t)
	ssoGet(t, c2, e.base+"/login/oidc")
	if !strings.Contains(e.signedInAs(t, c2), "analyst@example.gov") {
		t.Fatal("single sign-on does not work with staff passwords off")
	}
}

// TestOIDCBrowser is the acceptance test in real Chromium: a staff member
// clicks "Sign in with GovID" on kubu's sign-in page, is redirected to the
// provider and back, and lands signed in with the role and agency the
// claim mapping gives.
func TestOIDCBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("no Chromium found but KUBU_TEST_REQUIRE_SERVICES is set")
		}
		t.Skip("no Chromium found: install it (Debian: apt-get install -y chromium) to run the single sign-on browser test")
	}
	e := newSSOEnv(t, true)
	e.idp.SignInAs(map[string]any{"sub": "moe-42", "email": "tan.wei@moe.example.gov", "email_verified": true, "name": "Tan Wei",
		"groups": []string{"agency-staff"}, "agency_code": "MOE"})
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	console := &consoleLog{}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	chromedp.Listen(ctx, console.add)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"/login?next=/account"),
		chromedp.Click(chromedp.CSS(`a[href^="/login/oidc"]`)),
		chromedp.WaitVisible(chromedp.CSS(".summary-list")),
	); err != nil {
		t.Fatalf("sign in through the provider: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if loc != e.base+"/account" || !strings.Contains(text, "tan.wei@moe.example.gov") || !strings.Contains(text, "agency-member") || !strings.Contains(text, "MOE") {
		t.Fatalf("landed at %s with:\n%s", loc, text)
	}
	if e.idp.Issued != 1 {
		t.Fatalf("the provider issued %d ID tokens, want 1", e.idp.Issued)
	}
	if v := cspViolations(console.take()); len(v) > 0 {
		t.Fatalf("CSP violations: %v", v)
	}
}

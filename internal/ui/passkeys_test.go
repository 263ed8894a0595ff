package ui_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
)

// TestPasskeysBrowser is issue 16's passkey acceptance in real Chromium
// with the DevTools virtual authenticator: a researcher adds two passkeys
// (one per authenticator), signs out, signs in with a passkey alone,
// removes one (audited), and a copy of the remaining passkey whose
// signature counter went back is refused (audited). The pages run under
// the strict CSP with the script as a nonce'd file.
func TestPasskeysBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("no Chromium found but KUBU_TEST_REQUIRE_SERVICES is set")
		}
		t.Skip("no Chromium found: install it (Debian: apt-get install -y chromium) to run the passkey browser test")
	}
	// WebAuthn needs a domain in a secure context: http://localhost is one.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "http://localhost:" + port
	cfg := &config.Config{DataDir: t.TempDir(), Addr: ln.Addr().String(), PublicURL: base, RequireTOTP: true}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	const email = "hacker@example.com"
	researcher, err := a.Accounts.CreateUser(context.Background(), root, accounts.NewUser{Email: email, Role: authz.Researcher, Password: password})
	if err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	console := &consoleLog{}
	chromedp.Listen(ctx, console.add)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (browser said %q)", step, err, console.take())
		}
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	authenticator := func() webauthn.AuthenticatorID {
		t.Helper()
		// HasCmtgKey only because this Chromium's AddCredential refuses any
		// credential (its generateCmtgKeyOnNextOperation field is always
		// sent) on an authenticator without the extension.
		res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportUsb,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true, HasCmtgKey: true}})
		if err != nil {
			t.Fatalf("add a virtual authenticator: %v", err)
		}
		return res.AuthenticatorID
	}
	remove := func(id webauthn.AuthenticatorID) {
		t.Helper()
		if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
			t.Fatal(err)
		}
	}
	addPasskey := func(name string, want int) {
		t.Helper()
		run("add passkey "+name,
			chromedp.Navigate(base+"/account/passkeys"),
			chromedp.WaitVisible(chromedp.ID("passkey-add")),
			chromedp.SetValue(chromedp.ID("passkey-name"), name),
			chromedp.Click(chromedp.ID("passkey-add")),
			chromedp.WaitVisible(chromedp.CSS(".notice")),
		)
		if n := count("tr.passkey"); n != want {
			t.Fatalf("after adding %s: %d passkeys listed, want %d; page: %s", name, n, want, text("main"))
		}
	}
	signOut := func() {
		t.Helper()
		run("sign out", chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.ID("email")))
	}

	// Sign in with the password, add a passkey on each of two authenticators.
	first := authenticator()
	run("sign in with the password",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
	addPasskey("Laptop", 1)
	remove(first)
	second := authenticator()
	addPasskey("Security key", 2)
	signOut()

	// The password now asks for a passkey as the second step.
	run("sign in with the password and a passkey",
		chromedp.Navigate(base+"/login?next=/account"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("passkey-second")),
		chromedp.Click(chromedp.ID("passkey-second")),
		chromedp.WaitVisible(chromedp.CSS(".summary-list")),
	)
	signOut()

	// Sign in with the passkey alone.
	run("sign in with a passkey",
		chromedp.Navigate(base+"/login?next=/account"),
		chromedp.WaitVisible(chromedp.ID("passkey-login")),
		chromedp.Click(chromedp.ID("passkey-login")),
		chromedp.WaitVisible(chromedp.CSS(".summary-list")),
	)
	if body := text("main"); !strings.Contains(body, email) {
		t.Fatalf("signed in as someone else: %s", body)
	}
	// Remove the laptop's passkey.
	run("remove the laptop's passkey",
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.Click(chromedp.CSS(`tr.passkey:first-child button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if n := count("tr.passkey"); n != 1 || !strings.Contains(text("main"), "Security key") {
		t.Fatalf("after removal: %d passkeys; page: %s", n, text("main"))
	}
	signOut()

	// A clone of the security key with its counter set back is refused.
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: second})
	if err != nil || len(creds.Credentials) != 1 {
		t.Fatalf("credentials of the security key: %v %v", creds, err)
	}
	clone := *creds.Credentials[0]
	if clone.SignCount < 1 {
		t.Fatalf("the security key's counter is %v after a sign-in", clone.SignCount)
	}
	clone.SignCount = 0
	clone.CmtgKeys, clone.ActiveCmtgKeyIndex, clone.GenerateCmtgKeyOnNextOperation, clone.LargeBlob = nil, nil, false, nil
	remove(second)
	copyAuth := authenticator()
	if _, err := chromedp.Call(ctx, webauthn.AddCredential, webauthn.AddCredentialParams{AuthenticatorID: copyAuth, Credential: &clone}); err != nil {
		t.Fatalf("add the cloned credential: %v", err)
	}
	run("sign in with the clone",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("passkey-login")),
		chromedp.Click(chromedp.ID("passkey-login")),
		chromedp.WaitVisible(chromedp.ID("passkey-login-error")),
	)
	if msg := text("#passkey-login-error"); !strings.Contains(msg, "signature counter went back") {
		t.Fatalf("the clone's sign-in said %q", msg)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/login") {
		t.Fatalf("the clone signed in (at %s)", loc)
	}
	run("not signed in", chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.ID("email")))

	recs, err := a.Audit.List(context.Background(), audit.Filter{AllAgencies: true, TargetID: researcher.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, r := range recs {
		codes[r.Code]++
	}
	if codes["U1016I"] != 2 || codes["U1017W"] != 1 || codes["U1018W"] != 1 {
		t.Fatalf("audit codes for the researcher: %v, want two passkeys added, one removed, one clone refused", codes)
	}
	if v := cspViolations(console.take()); len(v) > 0 {
		t.Fatalf("CSP violations: %v", v)
	}
}

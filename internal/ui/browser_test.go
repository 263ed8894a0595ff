package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/web"
)

// findChromium returns the path of a Chromium or Chrome binary, or "".
// KUBU_CHROMIUM names one explicitly.
func findChromium() string {
	if p := os.Getenv("KUBU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// consoleLog keeps what the browser reported: log entries (where CSP
// violations appear), console calls and uncaught exceptions.
type consoleLog struct {
	mu      sync.Mutex
	entries []string
}

func (l *consoleLog) add(ev any) {
	var s string
	switch ev := ev.(type) {
	case *log.EventEntryAdded:
		s = fmt.Sprintf("log %s/%s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
	case *runtime.EventConsoleAPICalled:
		s = fmt.Sprintf("console.%s", ev.Type)
		for _, a := range ev.Args {
			s += " " + string(a.Value) + a.Description
		}
	case *runtime.EventExceptionThrown:
		s = "exception: " + ev.ExceptionDetails.Text
	default:
		return
	}
	l.mu.Lock()
	l.entries = append(l.entries, s)
	l.mu.Unlock()
}

// take returns the entries so far and forgets them.
func (l *consoleLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.entries
	l.entries = nil
	return out
}

// cspViolations picks the CSP reports out of entries.
func cspViolations(entries []string) []string {
	var out []string
	for _, e := range entries {
		if strings.Contains(e, "Content Security Policy") || strings.HasPrefix(e, "log security/") {
			out = append(out, e)
		}
	}
	return out
}

// TestBrowser drives real headless Chromium against the real app with
// two-factor sign-in required: an agency admin of A signs in, enrols TOTP,
// adds a system through the form and sees it listed; a member of B then
// neither sees it in the list nor can open it. The pages must load with no
// CSP violation, fit a 375 px wide phone, and start with a visible skip
// link for keyboard users.
func TestBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("no Chromium found but KUBU_TEST_REQUIRE_SERVICES is set: CI must run the browser test")
		}
		t.Skip("no Chromium found (looked for chromium, chromium-browser, google-chrome and KUBU_CHROMIUM): " +
			"install it (Debian: apt-get install -y chromium) to run the browser test")
	}
	e := newEnv(t, true)
	base := e.srv.URL

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)...)
	t.Cleanup(cancelAlloc) // runs before the temp dir is removed, and waits for Chromium to exit
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	// One budget for the whole walk, generous: under CI load (two cores
	// shared with the rest of the suite) 90 s ran out while enrolling.
	ctx, cancelTime := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTime)

	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatalf("start Chromium: %v", err)
	}
	console := &consoleLog{}
	if err := chromedp.Listen(ctx, console.add); err != nil {
		t.Fatal(err)
	}

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return ok
	}

	// The CSP listener works: a page that breaks the same policy is reported.
	control := httptest.NewServer(web.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>control</title><p style="color:red">inline style</p><script>document.title = "ran"</script>`)
	})))
	defer control.Close()
	run("open the control page", chromedp.Navigate(control.URL))
	deadline := time.Now().Add(10 * time.Second)
	var seen []string
	for len(cspViolations(seen)) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		seen = append(seen, console.take()...)
	}
	if len(cspViolations(seen)) == 0 {
		t.Fatalf("the control page's CSP violations were not reported; the browser said: %q", seen)
	}

	// signIn signs in through the forms, enrolling a second factor.
	signIn := func(email string) {
		t.Helper()
		run("sign in as "+email,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("totp-secret")),
		)
		secret := strings.TrimSpace(text("#totp-secret"))
		run("enrol "+email,
			chromedp.SendKeys(chromedp.ID("code"), accounts.TOTPCode(secret, time.Now())),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".stats")),
		)
	}

	signIn(e.user["a-admin"].Email)
	run("add a system",
		chromedp.Navigate(base+"/systems/new"),
		chromedp.SendKeys(chromedp.ID("name"), "Kiosk Registry"),
		chromedp.SendKeys(chromedp.ID("hostnames"), "kiosk.health.gov.example"),
		chromedp.SetValue(chromedp.ID("asset_type"), "iot"),
		chromedp.SendKeys(chromedp.ID("owner_contacts"), "Lim Mei <mei@health.gov.example> owner"),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	systemURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(systemURL, base+"/systems/") || !strings.Contains(text("main"), "mei@health.gov.example") {
		t.Fatalf("after adding the system the browser is at %s showing %q", systemURL, text("main"))
	}
	run("list systems", chromedp.Navigate(base+"/systems"))
	if !strings.Contains(text("main table"), "Kiosk Registry") {
		t.Fatalf("the new system is not in A's list: %q", text("main table"))
	}

	// Keyboard: the first Tab lands on the skip link, shown in the focus colour.
	run("tab", chromedp.KeyEvent(kb.Tab))
	if !eval(`document.activeElement.classList.contains("skip") && getComputedStyle(document.activeElement).backgroundColor === "rgb(255, 221, 0)"`) {
		t.Errorf("the first Tab does not show the skip link in the focus colour")
	}

	// A phone: nothing scrolls sideways at 375 px, and kubu.css is applied.
	run("phone", chromedp.EmulateViewport(375, 812))
	for _, path := range []string{"/", "/systems", "/findings", "/findings/" + e.finding["A"].ID, strings.TrimPrefix(systemURL, base),
		"/systems/new", "/audit", "/account", "/agencies/" + e.agency["A"].ID} {
		run("open "+path+" on a phone", chromedp.Navigate(base+path))
		if !eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
			w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			t.Errorf("%s is %d px wide on a 375 px phone", path, w)
		}
		if !eval(`getComputedStyle(document.querySelector(".masthead")).backgroundColor === "rgb(11, 12, 12)"`) {
			t.Errorf("%s: the stylesheet is not applied", path)
		}
	}
	run("desktop", chromedp.EmulateViewport(1280, 900))

	run("sign out",
		chromedp.Click(chromedp.CSS(".signout button")),
		chromedp.WaitVisible(chromedp.ID("email")),
	)

	signIn(e.user["b-member"].Email)
	run("list systems as B", chromedp.Navigate(base+"/systems"))
	if list := text("main table"); strings.Contains(list, "Kiosk Registry") || !strings.Contains(list, "Portal MOE") {
		t.Errorf("B's list shows %q", list)
	}
	run("open A's system as B", chromedp.Navigate(systemURL))
	if h := text("h1"); h != "Page not found" {
		t.Errorf("A's system opened by B shows %q, want the not-found page", h)
	}
	if strings.Contains(text("body"), "Kiosk") {
		t.Errorf("the not-found page mentions the system")
	}

	if v := cspViolations(console.take()); len(v) > 0 {
		t.Errorf("kubu's pages caused CSP violations:\n%s", strings.Join(v, "\n"))
	}
}

package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestIncidentBrowser drives real headless Chromium: an analyst ticks two
// alerts in the alert queue, opens an incident from them, moves it to
// contained and sees the contain clock stop (a time taken and when it
// stopped instead of "running", its bar no longer pale) while recovery
// still runs. The pages load with no CSP violation and fit a phone.
func TestIncidentBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("no Chromium found but KUBU_TEST_REQUIRE_SERVICES is set: CI must run the browser test")
		}
		t.Skip("no Chromium found: install it (Debian: apt-get install -y chromium) to run the browser test")
	}
	e := newEnv(t, false)
	base := e.srv.URL
	a1 := e.alert(t, "A", "high", "Impossible travel for j.tan", "vpn01")
	a2 := e.alert(t, "B", "critical", "Mailbox rule forwards to gmail", "mx02")

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	)...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	// One budget for the whole walk, generous: under CI load (two cores
	// shared with the rest of the suite) 90 s ran out while enrolling.
	ctx, cancelTime := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTime)
	if err := chromedp.Do(ctx); err != nil {
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
	count := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return n
	}

	run("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), e.user["analyst"].Email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".stats")),
	)
	run("pick two alerts in the queue",
		chromedp.Navigate(base+"/alerts"),
		chromedp.Click(chromedp.ID("sel-"+a1)),
		chromedp.Click(chromedp.ID("sel-"+a2)),
		chromedp.Click(chromedp.CSS(`#select-alerts button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("title")),
	)
	if form := text("main"); !strings.Contains(form, "From 2 alerts") || !strings.Contains(form, "Impossible travel for j.tan") || !strings.Contains(form, "Mailbox rule forwards to gmail") {
		t.Fatalf("the new incident form shows %q", form)
	}
	run("open the incident",
		chromedp.SetValue(chromedp.ID("category"), "unauthorised-access"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("clock-table")),
	)
	if h := text("h1"); h != "Mailbox rule forwards to gmail and related alerts" && h != "Impossible travel for j.tan and related alerts" {
		t.Fatalf("the incident page's heading is %q", h)
	}
	incidentURL, _ := chromedp.Run(ctx, chromedp.Location())
	contain := func() string { return text("#clock-table tbody tr:nth-child(2)") }
	if row := contain(); !strings.Contains(row, "running for") {
		t.Fatalf("before containing, the contain clock shows %q", row)
	}
	if n := count(`document.querySelectorAll(".clock-bar-running").length`); n != 3 {
		t.Fatalf("%d clocks run at first, want 3", n)
	}
	run("move to contained",
		chromedp.SetValue(chromedp.ID("move-status"), "contained"),
		chromedp.Click(chromedp.CSS(`#move-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.tags .status-contained")), // the page after the move
	)
	if n := text(".notice"); !strings.Contains(n, "Status: Contained.") {
		t.Fatalf("after moving the notice says %q", n)
	}
	row := contain()
	if strings.Contains(row, "running") || !strings.Contains(row, "UTC") {
		t.Fatalf("after containing, the contain clock shows %q: it should have stopped", row)
	}
	if rec := text("#clock-table tbody tr:nth-child(3)"); !strings.Contains(rec, "running for") {
		t.Fatalf("the recover clock should still run: %q", rec)
	}
	if n := count(`document.querySelectorAll(".clock-bar-running").length`); n != 1 {
		t.Fatalf("%d clock bars still run after containing, want 1 (recover)", n)
	}
	if !strings.Contains(text("ol.timeline"), "Status: new → contained") {
		t.Fatalf("the timeline lacks the move: %q", text("ol.timeline"))
	}

	if dir := os.Getenv("KUBU_TEST_SCREENSHOTS"); dir != "" { // for people reviewing the page
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90)); err == nil {
			os.WriteFile(filepath.Join(dir, "incident.png"), png, 0o644)
		}
	}

	// A phone: the queue and the incident page fit 375 px.
	run("phone", chromedp.EmulateViewport(375, 812))
	for _, path := range []string{"/incidents", strings.TrimPrefix(incidentURL, base)} {
		run("open "+path+" on a phone", chromedp.Navigate(base+path))
		if w := count(`document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %d px wide on a 375 px phone", path, w)
		}
	}
	if v := cspViolations(console.take()); len(v) > 0 {
		t.Errorf("the incident pages caused CSP violations:\n%s", strings.Join(v, "\n"))
	}
}

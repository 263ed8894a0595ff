package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
	"github.com/kubu-gov/kubu/internal/findings"
)

func TestZZScreens(t *testing.T) {
	if os.Getenv("SHOTS") == "" {
		t.Skip()
	}
	ctx := context.Background()
	a, err := app.Open(ctx, &config.Config{DataDir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := demo.Seed(ctx, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts}, &out, 1); err != nil {
		t.Fatal(err)
	}
	pw := map[string]string{}
	for _, m := range regexp.MustCompile(`(\S+@\S+)\s+(\S+)\n`).FindAllStringSubmatch(out.String(), -1) {
		pw[m[1]] = m[2]
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	alloc, cancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(findChromium()), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))...)
	defer cancel()
	bctx, cancel2 := chromedp.NewContext(alloc)
	defer cancel2()
	bctx, c3 := context.WithTimeout(bctx, 120*time.Second)
	defer c3()
	// Sign in (demo app: RequireTOTP false).
	jar := srv.Client()
	_ = jar
	fl, _ := a.Findings.List(ctx, root, findings.Filter{Limit: 1, Sort: "-severity"})
	login := func(email string) {
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/login"), chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), pw[email]), chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name, path string, w int64) {
		if err := chromedp.Do(bctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/shots/"+name+".png", b, 0o644)
	}
	login("admin@kubu.gov.example")
	shot("home-central", "/", 1280)
	shot("home-central-phone", "/", 375)
	shot("findings", "/findings?status=unresolved", 1280)
	shot("findings-phone", "/findings", 375)
	shot("finding", "/findings/"+fl.Items[0].ID, 1280)
	shot("finding-phone", "/findings/"+fl.Items[0].ID, 375)
	shot("systems", "/systems", 1280)
	shot("system", "/systems/"+fl.Items[0].SystemID, 1280)
	shot("system-new-error", "/systems/new", 1280)
	shot("audit", "/audit", 1280)
	shot("users", "/users", 1280)
	shot("account", "/account", 1280)
	shot("agencies", "/agencies", 1280)
	shot("agency", "/agencies/"+fl.Items[0].AgencyID, 1280)
	_ = url.Values{}
	_ = strings.Contains
	chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/systems/new"), chromedp.Click(chromedp.CSS(`main button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b, _ := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	os.WriteFile("/tmp/shots/system-new-error.png", b, 0o644)
}

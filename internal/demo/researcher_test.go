package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestDemoResearcherCanSubmit is the regression test of issue 9 item 3:
// the demo researcher was told "verify your email first", with mail off
// and no way to verify. The demo researcher signs in with the printed
// password, sees their dashboard and submits a report.
func TestDemoResearcherCanSubmit(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, &config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if _, err := demo.Seed(ctx, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts}, &out, 1); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`researcher\s+-\s+(\S+@\S+)\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no researcher in the demo credentials:\n%s", out.String())
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post("/login", url.Values{"email": {m[1]}, "password": {m[2]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the demo researcher signs in: %d", r.StatusCode)
	}
	if r, err := c.Get(srv.URL + "/researcher"); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("the demo researcher's dashboard: %v %v", r, err)
	}
	r := post("/reports", url.Values{"programme": {disclosure.VDPSlug}, "title": {"Open redirect on /go"}, "description": {"`/go?to=https://evil.example` redirects."}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/reports/") {
		t.Fatalf("the demo researcher's report answered %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

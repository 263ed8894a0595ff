package ui_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/ratelimit"
)

// TestErrorPagesUseTheLayout: every browser error page — an unknown URL, a
// page the role may not use, a form without a session, too many requests,
// a failure — is a page of the site (masthead, navigation for who is
// signed in), says what happened and where to go.
func TestErrorPagesUseTheLayout(t *testing.T) {
	e := newEnv(t, false)
	anon := e.anonymous(t)
	member := e.signIn(t, "a-member")
	layout := []string{`class="masthead"`, `<footer class="footer">`, `<a href="/">Go to the home page</a>`}

	res := anon.get("/no/such/page")
	if res.status != http.StatusNotFound {
		t.Fatalf("unknown URL: %d", res.status)
	}
	mustContain(t, "anonymous 404", res.body, append(layout, "<h1>Page not found</h1>", "Check the address", `href="/vdp"`)...)

	res = member.get("/no/such/page")
	mustContain(t, "signed-in 404", res.body, append(layout, "Page not found", `href="/findings"`, "member@moh.example.gov")...)
	mustNotContain(t, "signed-in 404", res.body, `aria-current="page"`, `href="/vdp">Report`)
	if hidden := member.get("/systems/" + e.system["B"].ID); hidden.status != http.StatusNotFound || hidden.body != member.get("/systems/01jzzzzzzzzzzzzzzzzzzzzzzz").body {
		t.Errorf("another agency's system does not answer exactly like a missing one: %d", hidden.status)
	}

	res = member.get("/users")
	if res.status != http.StatusForbidden {
		t.Fatalf("a member on the people page: %d", res.status)
	}
	mustContain(t, "403", res.body, append(layout, "<h1>Not allowed</h1>", "ask your administrator")...)

	res = anon.post("/systems", url.Values{"name": {"x"}})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("a form without a session: %d", res.status)
	}
	mustContain(t, "401", res.body, append(layout, "Please sign in", `href="/login"`)...)

	res2 := anon.do(mustRequest(t, http.MethodDelete, e.srv.URL+"/vdp"))
	if res2.status != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /vdp: %d", res2.status)
	}
	mustContain(t, "405", res2.body, append(layout, "Not available")...)

	// Too many requests: the public pages' limit, in the layout, with
	// Retry-After.
	e.app.Limits.Read = &ratelimit.Guard{PerClient: ratelimit.New(1, time.Minute), Overall: ratelimit.New(1000, time.Minute)}
	anon.get("/vdp/stats")
	req := mustRequest(t, http.MethodGet, e.srv.URL+"/vdp/stats")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res = anon.get("/vdp/stats")
	if res.status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d (Retry-After %q)", res.status, resp.Header.Get("Retry-After"))
	}
	mustContain(t, "429", res.body, append(layout, "<h1>Too many requests</h1>", "wait a minute")...)
	e.app.Limits.Read = ratelimit.NewPolicy(ratelimit.PolicyConfig{}).Read

	// A failure: the database goes away under a public page.
	e.app.DB.Close()
	res = anon.get("/vdp/stats")
	if res.status != http.StatusInternalServerError {
		t.Fatalf("with the database closed: %d", res.status)
	}
	mustContain(t, "500", res.body, append(layout, "<h1>Something went wrong</h1>", "has been logged")...)
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

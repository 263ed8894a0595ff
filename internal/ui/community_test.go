package ui_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestSecurityTxtServed checks contract §4's security.txt as served.
func TestSecurityTxtServed(t *testing.T) {
	e := newEnv(t, false)
	resp, err := http.Get(e.srv.URL + "/.well-known/security.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	if _, err := copyBody(buf, resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("security.txt: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, field := range []string{"Contact: ", "Expires: ", "Policy: ", "Preferred-Languages: en", "Canonical: "} {
		if !strings.Contains(buf.String(), "\n"+field) && !strings.HasPrefix(buf.String(), field) {
			t.Errorf("security.txt lacks %q:\n%s", field, buf.String())
		}
	}
}

// TestVDPWithoutJavaScript walks the public pages as a browser without
// JavaScript would: the policy and form, a plain form post, the receipt
// with the token, following the report through its cookie, replying,
// replacing the token; another browser without the cookie gets 404.
func TestVDPWithoutJavaScript(t *testing.T) {
	e := newEnv(t, false)
	anon := e.anonymous(t)
	res := anon.get("/vdp")
	mustContain(t, "GET /vdp", res.body, "Safe harbour", `action="/vdp/reports"`, `enctype="multipart/form-data"`, `name="description"`)
	bad := anon.post("/vdp/reports", url.Values{"title": {""}, "description": {"x"}})
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, `href="#title"`) {
		t.Fatalf("empty title: %d\n%s", bad.status, excerpt(bad.body))
	}
	res = anon.post("/vdp/reports", url.Values{"title": {"Open redirect on login"}, "description": {"`next` is not checked: **see** below"},
		"affected_url": {"https://moh.gov.example/login?next=//evil.example"}, "cwe": {"CWE-601"}})
	if res.status != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", res.status, excerpt(res.body))
	}
	id := between(res.body, `id="tracking-id">`, "<")
	tok := between(res.body, `id="token">`, "<")
	if len(id) != 26 || !strings.HasPrefix(tok, "vdp_") {
		t.Fatalf("receipt shows %q / %q", id, tok)
	}
	// The receipt: copy buttons (hidden until copy.js shows them) and the
	// download as a text file, which only this browser's cookie opens.
	mustContain(t, "receipt", res.body, `data-copy="token"`, `src="/static/copy.js"`, `href="/vdp/reports/`+id+`/receipt.txt"`)
	dl := anon.get("/vdp/reports/" + id + "/receipt.txt")
	if dl.status != http.StatusOK || !strings.Contains(dl.body, "Tracking id: "+id+"\n") || !strings.Contains(dl.body, "Token: "+tok+"\n") ||
		!strings.Contains(dl.body, "Title: Open redirect on login\n") {
		t.Fatalf("receipt download: %d\n%s", dl.status, dl.body)
	}
	if other := e.anonymous(t).get("/vdp/reports/" + id + "/receipt.txt"); other.status != http.StatusNotFound || strings.Contains(other.body, tok) {
		t.Fatalf("another browser downloaded the receipt: %d", other.status)
	}
	page := anon.get("/vdp/reports/" + id)
	mustContain(t, "own report", page.body, "Open redirect on login", "<strong>see</strong>", "new")
	if other := e.anonymous(t).get("/vdp/reports/" + id); other.status != http.StatusNotFound {
		t.Fatalf("a browser without the token opened the report: %d", other.status)
	}
	// Another browser with the tracking id and token can follow it.
	second := e.anonymous(t)
	if r := second.post("/vdp/track", url.Values{"tracking_id": {id}, "token": {"vdp_wrong"}}); r.status != http.StatusNotFound {
		t.Fatalf("track with a wrong token: %d", r.status)
	}
	if r := second.follow("/vdp/track", url.Values{"tracking_id": {id}, "token": {tok}}); r.status != 200 || !strings.Contains(r.body, "Open redirect") {
		t.Fatalf("track: %d", r.status)
	}
	if r := anon.follow("/vdp/reports/"+id+"/messages", url.Values{"body": {"It also works on /logout."}}); !strings.Contains(r.body, "It also works on /logout.") {
		t.Fatalf("reply not shown:\n%s", excerpt(r.body))
	}
	rot := anon.post("/vdp/reports/"+id+"/token", nil)
	if rot.status != 200 || !strings.Contains(rot.body, "Your new token") {
		t.Fatalf("rotate: %d", rot.status)
	}
	newTok := between(rot.body, `id="token">`, "<")
	if dl := anon.get("/vdp/reports/" + id + "/receipt.txt"); newTok == tok || !strings.Contains(dl.body, "Token: "+newTok+"\n") {
		t.Fatalf("the receipt after rotation does not hold the new token %q:\n%s", newTok, dl.body)
	}
	if r := second.get("/vdp/reports/" + id); r.status != http.StatusNotFound {
		t.Fatalf("the old token still opens the report after rotation: %d", r.status)
	}
	// Staff see it in the queue, with the reporter's routing to MOH.
	triager := e.signIn(t, "triager")
	q := triager.get("/reports")
	mustContain(t, "triage queue", q.body, "Open redirect on login", "clock-running")
	d := triager.get("/reports/" + id)
	mustContain(t, "report detail", d.body, "Portal MOH", "Possible duplicates", "It also works on /logout.")
	if r := e.signIn(t, "researcher").get("/reports/" + id); r.status != http.StatusNotFound {
		t.Fatalf("a researcher opened an anonymous report: %d", r.status)
	}
	if r := e.signIn(t, "a-member").get("/reports/" + id); r.status != http.StatusForbidden { // no grant on reports at all
		t.Fatalf("an agency member opened a report: %d", r.status)
	}
	// The triager accepts it; the reporter sees the reason.
	if r := triager.post("/reports/"+id+"/severity", url.Values{"severity": {"medium"}, "justification": {"Needs a click."}}); r.status != http.StatusSeeOther {
		t.Fatalf("severity: %d\n%s", r.status, excerpt(r.body))
	}
	if r := triager.post("/reports/"+id+"/transition", url.Values{"status": {"accepted"}, "reason": {"Reproduced on production."}}); r.status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", r.status, excerpt(r.body))
	}
	mustContain(t, "reporter after acceptance", anon.get("/vdp/reports/"+id).body, "Reproduced on production.", "Needs a click.")
	stats := anon.get("/vdp/stats")
	mustContain(t, "stats", stats.body, `id="stat-total">1<`)
}

// TestCVSSCalculatorWithoutJavaScript: the calculator is a GET form.
func TestCVSSCalculatorWithoutJavaScript(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	mustContain(t, "empty calculator", c.get("/vdp/cvss").body, `name="AV"`, "Calculate",
		`<label for="AV-N">Network <span class="muted">(N)</span></label>`, `<label for="S-C">Changed`, `<label for="UI-R">Required`)
	mustContain(t, "empty 4.0 calculator", c.get("/vdp/cvss?version=4.0").body, `<label for="AT-P">Present`, `<label for="UI-A">Active`)
	r := c.get("/vdp/cvss?version=3.1&AV=N&AC=L&PR=N&UI=N&S=U&C=H&I=H&A=H")
	mustContain(t, "calculated", r.body, `id="cvss-score">9.8<`, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	r = c.get("/vdp/cvss?version=4.0&AV=N&AC=L&AT=N&PR=N&UI=N&VC=H&VI=H&VA=H&SC=N&SI=N&SA=N")
	mustContain(t, "calculated 4.0", r.body, `id="cvss-score">9.3<`)
}

// TestPublicPagesRateLimited: the public form is limited per address.
func TestPublicPagesRateLimited(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	limited := false
	for i := 0; i < 31; i++ {
		r := c.post("/vdp/reports", url.Values{"title": {"t"}, "description": {"d"}})
		if r.status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("31 submissions in a minute from one address were all accepted")
	}
}

// TestResearcherPages: registration form, dashboard, own reports only.
func TestResearcherPages(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	form := c.get("/researchers/register").body
	mustContain(t, "register form", form, `name="handle"`, `name="email"`)
	mustNotContain(t, "register form", form, `type="password"`)
	r := c.post("/researchers/register", url.Values{"email": {"new@example.com"}, "handle": {"newbie"}})
	mustContain(t, "registered", r.body, "Check your email", `href="/researchers/verify/resend"`)
	bad := c.get("/researchers/verify?token=abc")
	if bad.status != http.StatusBadRequest {
		t.Fatalf("verify page of an unknown link: %d", bad.status)
	}
	mustContain(t, "bad link", bad.body, "This link does not work", `href="/researchers/verify/resend"`)
	if r := c.post("/researchers/verify", url.Values{"token": {"abc"}, "password": {password}, "confirm_password": {password}}); r.status != http.StatusBadRequest {
		t.Fatalf("bad verification: %d", r.status)
	}
	// The env's researcher was made by an administrator: it has a profile
	// and a vouched-for address (accounts.OnCreate).
	rs := e.signIn(t, "researcher")
	mustContain(t, "dashboard", rs.get("/researcher").body, "hacker", "two-factor")
	res := rs.post("/reports", url.Values{"programme": {disclosure.VDPSlug}, "title": {"CSRF on profile"}, "description": {"No token."}, "severity": {"low"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("researcher submit: %d\n%s", res.status, excerpt(res.body))
	}
	mustContain(t, "own report", rs.get(res.location).body, "CSRF on profile", "Thread")
	mustContain(t, "own list", rs.get("/reports").body, "CSRF on profile")
	mustContain(t, "programmes", rs.get("/programmes").body, "Vulnerability Disclosure Programme")
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

func copyBody(w *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }

package ui_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// logBuffer collects kubu's log from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loggedToken returns the token of the newest link to path logged for
// the address to (mail is off in these tests, so kubu logs the links).
func (e *env) loggedToken(t *testing.T, to, path string) string {
	t.Helper()
	re := regexp.MustCompile(`"to":"` + regexp.QuoteMeta(to) + `".*"link":"[^"]*` + regexp.QuoteMeta(path) + `\?token=([a-z0-9]+)"`)
	all := re.FindAllStringSubmatch(e.logs.String(), -1)
	if len(all) == 0 {
		t.Fatalf("no %s link logged for %s; log:\n%s", path, to, e.logs.String())
	}
	return all[len(all)-1][1]
}

// TestPasswordChangeEndsOtherSessions is the regression test of issue 8
// item 12 in the browser: changing the password used to leave the other
// sessions and the API tokens working. The other session now ends, the
// current one goes on, and the tokens go when asked; an administrator's
// second-factor reset ends the person's sessions too.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	here, there := e.signIn(t, "analyst"), e.signIn(t, "analyst")
	analyst := e.user["analyst"]
	tok, _, err := e.app.Accounts.CreateToken(ctx, analyst.Actor(), analyst.ID, "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	page := here.follow("/account/password", url.Values{"current_password": {password}, "new_password": {"a brand new passphrase"},
		"confirm_password": {"a brand new passphrase"}, "revoke_tokens": {"yes"}})
	mustContain(t, "changed", page.body, "signed out everywhere else", "Your API tokens were revoked.")
	if r := here.get("/account"); r.status != http.StatusOK {
		t.Fatalf("the session that changed the password answered %d", r.status)
	}
	if r := there.get("/account"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("the other session answered %d %s, want a redirect to sign in", r.status, r.location)
	}
	if _, err := e.app.Accounts.Authenticate(ctx, tok); err == nil {
		t.Fatal("the API token survived the change with revocation asked")
	}
	// An administrator resets the analyst's second factor.
	enrol, err := e.app.Accounts.BeginTOTP(ctx, analyst.Actor())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Accounts.ConfirmTOTP(ctx, analyst.Actor(), accounts.TOTPCode(enrol.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	admin := e.signIn(t, "admin")
	mustContain(t, "people", admin.get("/users").body, `name="revoke_tokens"`)
	admin.follow("/users/"+analyst.ID+"/reset-totp", url.Values{"revoke_tokens": {"yes"}})
	if r := here.get("/account"); r.status != http.StatusSeeOther {
		t.Fatalf("the analyst's session after a second-factor reset answered %d", r.status)
	}
	if r := admin.get("/account"); r.status != http.StatusOK {
		t.Fatalf("the administrator's own session answered %d", r.status)
	}
}

// TestPasswordResetPages: the sign-in page offers a reset; asking answers
// the same for any address; the link's page sets the password once and
// signs the account out everywhere.
func TestPasswordResetPages(t *testing.T) {
	e := newEnv(t, false)
	old := e.signIn(t, "a-member")
	c := e.anonymous(t)
	mustContain(t, "sign-in page", c.get("/login").body, `href="/password/forgot"`)
	mustContain(t, "forgot form", c.get("/password/forgot").body, `action="/password/forgot"`, `name="email"`)
	known := c.post("/password/forgot", url.Values{"email": {e.user["a-member"].Email}})
	unknown := c.post("/password/forgot", url.Values{"email": {"nobody@moh.example.gov"}})
	if known.status != http.StatusOK || unknown.status != http.StatusOK ||
		strings.ReplaceAll(known.body, e.user["a-member"].Email, "X") != strings.ReplaceAll(unknown.body, "nobody@moh.example.gov", "X") {
		t.Fatalf("known and unknown addresses are answered differently:\n%s\n---\n%s", excerpt(known.body), excerpt(unknown.body))
	}
	mustContain(t, "sent", known.body, "Check your email")
	tok := e.loggedToken(t, e.user["a-member"].Email, "/password/reset")
	form := c.get("/password/reset?token=" + tok)
	mustContain(t, "reset form", form.body, `name="token" value="`+tok+`"`, `name="revoke_tokens"`, e.user["a-member"].Email)
	bad := c.post("/password/reset", url.Values{"token": {tok}, "password": {"a new long passphrase"}, "confirm_password": {"different"}})
	if bad.status != http.StatusBadRequest {
		t.Fatalf("mismatched confirmation answered %d", bad.status)
	}
	mustContain(t, "mismatch", bad.body, `href="#confirm_password"`)
	done := c.post("/password/reset", url.Values{"token": {tok}, "password": {"a new long passphrase"}, "confirm_password": {"a new long passphrase"}})
	mustContain(t, "done", done.body, "Password changed", "signed out")
	if r := old.get("/"); r.status != http.StatusSeeOther {
		t.Fatalf("a session from before the reset answered %d", r.status)
	}
	if r := c.post("/password/reset", url.Values{"token": {tok}, "password": {"a third long passphrase"}, "confirm_password": {"a third long passphrase"}}); r.status != http.StatusBadRequest {
		t.Fatalf("the link used twice answered %d", r.status)
	}
	if r := c.get("/password/reset?token=" + tok); r.status != http.StatusBadRequest || !strings.Contains(r.body, "This link does not work") {
		t.Fatalf("the used link's page: %d", r.status)
	}
	signIn := e.anonymous(t).post("/login", url.Values{"email": {e.user["a-member"].Email}, "password": {"a new long passphrase"}})
	if signIn.status != http.StatusSeeOther {
		t.Fatalf("signing in with the new password answered %d", signIn.status)
	}
}

// TestRegistrationAndVerificationPages: registering asks for no password;
// the link's page asks for it; "send the link again" is offered.
func TestRegistrationAndVerificationPages(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	r := c.post("/researchers/register", url.Values{"email": {"newbie@example.com"}, "handle": {"newbie"}})
	mustContain(t, "registered", r.body, "Check your email", `href="/researchers/verify/resend"`)
	mustContain(t, "resend form", c.get("/researchers/verify/resend").body, `action="/researchers/verify/resend"`)
	mustContain(t, "resent", c.post("/researchers/verify/resend", url.Values{"email": {"newbie@example.com"}}).body, "Check your email")
	tok := e.loggedToken(t, "newbie@example.com", "/researchers/verify")
	page := c.get("/researchers/verify?token=" + tok)
	mustContain(t, "verify page", page.body, "newbie@example.com", `name="password"`, `name="confirm_password"`)
	if r := c.post("/researchers/verify", url.Values{"token": {tok}, "password": {"short"}, "confirm_password": {"short"}}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, `href="#password"`) {
		t.Fatalf("a short password: %d\n%s", r.status, excerpt(r.body))
	}
	done := c.post("/researchers/verify", url.Values{"token": {tok}, "password": {"a long enough passphrase"}, "confirm_password": {"a long enough passphrase"}})
	mustContain(t, "verified", done.body, "Address verified")
	if r := e.anonymous(t).post("/login", url.Values{"email": {"newbie@example.com"}, "password": {"a long enough passphrase"}}); r.status != http.StatusSeeOther {
		t.Fatalf("the new researcher signs in: %d", r.status)
	}
	// A taken handle: the problem is shown once.
	dup := c.post("/researchers/register", url.Values{"email": {"other@example.com"}, "handle": {"newbie"}})
	if dup.status != http.StatusBadRequest || strings.Count(dup.body, `class="error-summary"`) != 1 {
		t.Fatalf("a taken handle: %d with %d error summaries", dup.status, strings.Count(dup.body, `class="error-summary"`))
	}
}

// TestUnverifiedResearcherOffersResend (issue 9 item 3): a researcher
// whose address is not verified is told once, with a way to get the link.
func TestUnverifiedResearcherOffersResend(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	if err := e.app.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = NULL WHERE id = $1`, e.user["researcher"].ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rs := e.signIn(t, "researcher")
	res := rs.post("/reports", url.Values{"programme": {disclosure.VDPSlug}, "title": {"CSRF"}, "description": {"No token."}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("an unverified researcher's report answered %d", res.status)
	}
	if n := strings.Count(res.body, `class="error-summary"`); n != 1 {
		t.Fatalf("the error summary is shown %d times", n)
	}
	mustContain(t, "unverified", res.body, `href="#researcher"`, `id="researcher"`, `href="/researchers/verify/resend"`)
}

// TestSignInNotice (issue 8 item 11): after failed attempts, the owner's
// next sign-in tells them, once.
func TestSignInNotice(t *testing.T) {
	e := newEnv(t, false)
	c := e.anonymous(t)
	for range 2 {
		if r := c.post("/login", url.Values{"email": {e.user["triager"].Email}, "password": {"not the password"}}); r.status != http.StatusUnauthorized {
			t.Fatalf("a wrong password answered %d", r.status)
		}
	}
	home := c.follow("/login", url.Values{"email": {e.user["triager"].Email}, "password": {password}})
	mustContain(t, "home after sign-in", home.body, "Since you last signed in there were 2 failed sign-in attempts on your account")
	mustNotContain(t, "the next page", c.get("/").body, "failed sign-in attempts")
}

package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

func TestPeople(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()

	t.Run("an agency admin sees and adds only their agency's people", func(t *testing.T) {
		c := e.signIn(t, "a-admin")
		list := c.get("/users")
		mustContain(t, "people", list.body, "member@moh.example.gov", "admin2@moh.example.gov", ">You<")
		mustNotContain(t, "people", list.body, "member@moe.example.gov", "admin@example.gov", "hacker@example.com")
		form := c.get("/users/new")
		mustContain(t, "new person form", form.body, `<option value="agency-member" selected>`, "<strong>MOH</strong>")
		mustNotContain(t, "new person form", form.body, `<option value="wog-admin"`)

		res := c.post("/users", url.Values{"email": {"Nurse@MOH.example.gov"}, "role": {"agency-member"}})
		if res.status != http.StatusCreated {
			t.Fatalf("create answered %d:\n%s", res.status, excerpt(res.body))
		}
		mustContain(t, "created", res.body, "Person added", "nurse@moh.example.gov can now sign in as agency-member of MOH",
			"It will not be shown again", "set up two-factor sign-in")
		pw := regexp.MustCompile(`id="initial-password">([^<]+)<`).FindStringSubmatch(res.body)
		if pw == nil {
			t.Fatal("no initial password shown")
		}
		if _, err := e.app.Accounts.Login(ctx, "nurse@moh.example.gov", pw[1], "192.0.2.1"); err != nil {
			t.Errorf("the password shown does not sign in: %v", err)
		}

		// Problems re-render with the values kept (never the password).
		res = c.post("/users", url.Values{"email": {"not an email"}, "name": {"Kept Name"}, "role": {"agency-member"}, "password": {"short"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("bad user answered %d", res.status)
		}
		mustContain(t, "bad user", res.body, `href="#email"`, `href="#password"`, `value="Kept Name"`, `value="not an email"`)
		mustNotContain(t, "bad user", res.body, `value="short"`)
		res = c.post("/users", url.Values{"email": {"member@moh.example.gov"}, "role": {"agency-member"}})
		mustContain(t, "duplicate user", res.body, `<a href="#email">Email address: an account with that email exists</a>`)
		// An agency admin cannot make central roles, even with a hand-made form.
		if res := c.post("/users", url.Values{"email": {"boss@example.gov"}, "role": {"wog-admin"}}); res.status != http.StatusBadRequest {
			t.Errorf("agency admin making a wog-admin answered %d, want 400", res.status)
		}
		if _, err := e.app.Accounts.UserByEmail(ctx, "boss@example.gov"); err == nil {
			t.Errorf("an agency admin made a wog-admin")
		}
	})

	t.Run("disable, enable and reset two-factor", func(t *testing.T) {
		c := e.signIn(t, "a-admin")
		member := e.user["a-member"]
		// Give the member a second factor to reset.
		enrolled := member.Actor()
		en, err := e.app.Accounts.BeginTOTP(ctx, enrolled)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Accounts.ConfirmTOTP(ctx, enrolled, accounts.TOTPCode(en.Secret, time.Now())); err != nil {
			t.Fatal(err)
		}
		memberClient := e.anonymous(t)
		if res := memberClient.post("/login", url.Values{"email": {member.Email}, "password": {password}}); res.status != http.StatusSeeOther {
			t.Fatalf("member sign-in answered %d", res.status)
		}

		page := c.follow("/users/"+member.ID+"/disable", nil)
		mustContain(t, "after disable", page.body, "member@moh.example.gov: account disabled", `class="is-disabled"`)
		if u, _ := e.app.Accounts.User(ctx, root, member.ID); !u.Disabled {
			t.Errorf("member not disabled")
		}
		page = c.follow("/users/"+member.ID+"/enable", nil)
		mustContain(t, "after enable", page.body, "account enabled")
		page = c.follow("/users/"+member.ID+"/reset-totp", nil)
		mustContain(t, "after reset", page.body, "two-factor sign-in reset")
		if u, _ := e.app.Accounts.User(ctx, root, member.ID); u.TOTPEnabled || u.Disabled {
			t.Errorf("after enable and reset: %+v", u)
		}
		// Disabling yourself is refused with a message, not a crash.
		page = c.follow("/users/"+e.user["a-admin"].ID+"/disable", nil)
		mustContain(t, "self-disable", page.body, "There is a problem", "You cannot disable your own account")
		// Another agency's people are not there.
		if res := c.post("/users/"+e.user["b-member"].ID+"/disable", nil); res.status != http.StatusNotFound {
			t.Errorf("disabling B's member answered %d, want 404", res.status)
		}
	})

	t.Run("role change, audited, within what the caller may give", func(t *testing.T) {
		c := e.signIn(t, "a-admin")
		member := e.user["a-member"]
		memberClient := e.anonymous(t)
		if res := memberClient.post("/login", url.Values{"email": {member.Email}, "password": {password}}); res.status != http.StatusSeeOther {
			t.Fatalf("member sign-in answered %d", res.status)
		}
		list := c.get("/users")
		mustContain(t, "people", list.body, `action="/users/`+member.ID+`/role"`, `<option value="agency-admin">agency-admin</option>`)
		mustNotContain(t, "people", list.body, `action="/users/`+e.user["a-admin"].ID+`/role"`, `<option value="wog-admin">`)
		page := c.follow("/users/"+member.ID+"/role", url.Values{"role": {"agency-admin"}})
		mustContain(t, "after role change", page.body, "member@moh.example.gov: role changed to agency-admin")
		if u, _ := e.app.Accounts.User(ctx, root, member.ID); u.Role != authz.AgencyAdmin {
			t.Errorf("role after the change: %s", u.Role)
		}
		if res := memberClient.get("/"); res.status == http.StatusOK && strings.Contains(res.body, member.Email) {
			t.Errorf("the member's session survived the role change")
		}
		entries, err := e.app.Audit.List(ctx, audit.Filter{AllAgencies: true, TargetType: "user", TargetID: member.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, en := range entries {
			found = found || (en.Code == "U1001I" && strings.Contains(string(en.After), "agency-admin") && strings.Contains(string(en.Before), "agency-member"))
		}
		if !found {
			t.Errorf("no audit entry of the role change: %+v", entries)
		}
		// Out of bounds: a central role from an agency admin, their own
		// role, another agency's person.
		page = c.follow("/users/"+member.ID+"/role", url.Values{"role": {"wog-admin"}})
		mustContain(t, "central role", page.body, "There is a problem", "Cannot give")
		if u, _ := e.app.Accounts.User(ctx, root, member.ID); u.Role != authz.AgencyAdmin {
			t.Errorf("an agency admin made %s", u.Role)
		}
		page = c.follow("/users/"+e.user["a-admin"].ID+"/role", url.Values{"role": {"agency-member"}})
		mustContain(t, "own role", page.body, "You cannot change your own role")
		if res := c.post("/users/"+e.user["b-member"].ID+"/role", url.Values{"role": {"agency-admin"}}); res.status != http.StatusNotFound {
			t.Errorf("changing B's member answered %d, want 404", res.status)
		}
		if res := e.signIn(t, "b-member").post("/users/"+e.user["b-admin"].ID+"/role", url.Values{"role": {"agency-member"}}); res.status != http.StatusForbidden &&
			res.status != http.StatusNotFound {
			t.Errorf("a member changing roles answered %d", res.status)
		}
		if err := e.app.Accounts.SetRole(ctx, root, member.ID, authz.AgencyMember); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wog-admin adds a central role with a chosen password", func(t *testing.T) {
		c := e.signIn(t, "admin")
		res := c.post("/users", url.Values{"email": {"duty@example.gov"}, "role": {"analyst"}, "agency": {"MOH"}, "password": {"a long enough passphrase"}})
		if res.status != http.StatusCreated {
			t.Fatalf("create answered %d:\n%s", res.status, excerpt(res.body))
		}
		mustNotContain(t, "created", res.body, "initial-password", "a long enough passphrase")
		u, err := e.app.Accounts.UserByEmail(ctx, "duty@example.gov")
		if err != nil || u.Role != authz.Analyst || u.AgencyID != "" {
			t.Errorf("created %+v, %v", u, err)
		}
		list := c.get("/users?agency=MOE")
		mustContain(t, "filtered people", list.body, "member@moe.example.gov")
		mustNotContain(t, "filtered people", list.body, "member@moh.example.gov", "duty@example.gov")
	})
}

func TestAccount(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	c := e.signIn(t, "a-member")

	t.Run("API token shown once, then revoked", func(t *testing.T) {
		c.t = t
		res := c.post("/account/tokens", url.Values{"name": {"nightly export"}, "days": {"30"}})
		if res.status != http.StatusCreated {
			t.Fatalf("token create answered %d:\n%s", res.status, excerpt(res.body))
		}
		mustContain(t, "new token", res.body, "Copy this token now. It will not be shown again.", "nightly export")
		m := regexp.MustCompile(`id="token-secret" class="secret" readonly value="(kubu_[a-z0-9]+)"`).FindStringSubmatch(res.body)
		if m == nil {
			t.Fatalf("no token secret on the page:\n%s", excerpt(res.body))
		}
		u, err := e.app.Accounts.Authenticate(ctx, m[1])
		if err != nil || u.ID != e.user["a-member"].ID {
			t.Fatalf("the token shown does not authenticate: %v", err)
		}
		page := c.get("/account")
		mustContain(t, "account", page.body, "nightly export", "Active")
		mustNotContain(t, "account", page.body, m[1])
		toks, _ := e.app.Accounts.Tokens(ctx, root, e.user["a-member"].ID)
		if len(toks) != 1 || toks[0].ExpiresAt.Sub(toks[0].CreatedAt) != 30*24*time.Hour {
			t.Fatalf("tokens: %+v", toks)
		}
		page = c.follow("/account/tokens/"+toks[0].ID+"/revoke", nil)
		mustContain(t, "after revoke", page.body, "API token “nightly export” revoked.", ">Revoked<")
		if _, err := e.app.Accounts.Authenticate(ctx, m[1]); err == nil {
			t.Errorf("a revoked token still authenticates")
		}
		// Someone else's token is not yours to revoke.
		_, other, err := e.app.Accounts.CreateToken(ctx, root, e.user["b-member"].ID, "theirs", 0)
		if err != nil {
			t.Fatal(err)
		}
		if res := c.post("/account/tokens/"+other.ID+"/revoke", nil); res.status != http.StatusNotFound {
			t.Errorf("revoking another user's token answered %d, want 404", res.status)
		}
		for _, days := range []string{"0", "400", "soon"} {
			res := c.post("/account/tokens", url.Values{"name": {"x"}, "days": {days}})
			if res.status != http.StatusBadRequest {
				t.Errorf("days=%s answered %d", days, res.status)
			}
			mustContain(t, "bad days", res.body, `<a href="#token-days">Expires in must be a number of days from 1 to 366</a>`, `value="`+days+`"`)
		}
	})

	t.Run("change password", func(t *testing.T) {
		c.t = t
		res := c.post("/account/password", url.Values{"current_password": {"wrong one"}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
		mustContain(t, "wrong current", res.body, `<a href="#current_password">Current password is not your current password</a>`)
		res = c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"a brand new passphrase"}, "confirm_password": {"something else"}})
		mustContain(t, "mismatch", res.body, `href="#confirm_password"`, "must match")
		res = c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"short"}, "confirm_password": {"short"}})
		mustContain(t, "weak", res.body, `href="#new_password"`, "12 to 256 characters")
		mustNotContain(t, "weak", res.body, `value="short"`)
		page := c.follow("/account/password", url.Values{"current_password": {password}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
		mustContain(t, "changed", page.body, "Your password has been changed and you were signed out everywhere else.")
		if _, err := e.app.Accounts.Login(ctx, e.user["a-member"].Email, "a brand new passphrase", "192.0.2.1"); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
	})
}

func TestAuditPage(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	for range 20 { // enough entries for a second page
		if _, err := e.app.Findings.AddComment(ctx, root, e.finding["B"].ID, "noted"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.app.Audit.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	admin := e.signIn(t, "admin")
	page := admin.get("/audit")
	mustContain(t, "audit", page.body, "Newest signed checkpoint", "Tree size", "Root hash", "<details>", "<pre class=\"json\">",
		`href="/findings/`+e.finding["A"].ID+`"`, "&#34;title&#34;: &#34;Stored XSS in MOH search&#34;")

	// Pages of 25, older ones by sequence number, filters kept.
	older := nextLink.FindStringSubmatch(page.body)
	if older == nil {
		t.Fatalf("no link to older entries")
	}
	page2 := admin.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	mustContain(t, "older", page2.body, "Newest entries", "<strong>agency.created</strong>")

	filtered := admin.get("/audit?code=F1000I&agency=MOE")
	mustContain(t, "filtered", filtered.body, "Stored XSS in MOE search", `<option value="F1000I" selected>`)
	mustNotContain(t, "filtered", filtered.body, "Stored XSS in MOH search", "<strong>agency.created</strong>")
	byTarget := admin.get("/audit?target_type=finding&target_id=" + e.finding["A"].ID)
	mustContain(t, "by target", byTarget.body, "<strong>finding.created</strong>")
	mustNotContain(t, "by target", byTarget.body, "Stored XSS in MOE search")

	// An agency admin reads their agency's entries only.
	own := e.signIn(t, "a-admin").get("/audit")
	mustContain(t, "agency audit", own.body, "Stored XSS in MOH search")
	mustNotContain(t, "agency audit", own.body, "Stored XSS in MOE search", "admin@example.gov")
}

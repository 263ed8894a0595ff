package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
)

var totpSecret = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// TestTOTPEnrolmentHoldsStaff: with two-factor required, a staff user who
// has not enrolled is held on the enrolment page until they do, then
// needs a code at every sign-in.
func TestTOTPEnrolmentHoldsStaff(t *testing.T) {
	e := newEnv(t, true)
	c := e.anonymous(t)
	member := e.user["a-member"]
	res := c.post("/login", url.Values{"email": {member.Email}, "password": {password}})
	if res.status != http.StatusSeeOther || res.location != "/account/totp" {
		t.Fatalf("sign-in answered %d to %q, want the enrolment page", res.status, res.location)
	}
	for _, path := range []string{"/", "/systems", "/findings/" + e.finding["A"].ID} {
		if res := c.get(path); res.status != http.StatusSeeOther || res.location != "/account/totp" {
			t.Errorf("GET %s before enrolling answered %d to %q", path, res.status, res.location)
		}
	}
	page := c.get("/account/totp")
	m := totpSecret.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no key on the enrolment page:\n%s", excerpt(page.body))
	}
	res = c.post("/account/totp", url.Values{"code": {"000000"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("a wrong code answered %d", res.status)
	}
	mustContain(t, "wrong code", res.body, "That code is not right", m[1])
	res = c.post("/account/totp", url.Values{"code": {accounts.TOTPCode(m[1], time.Now())}})
	if res.status != http.StatusSeeOther || res.location != "/" {
		t.Fatalf("enrolment answered %d to %q", res.status, res.location)
	}
	mustContain(t, "home", c.get("/systems").body, "Portal MOH")
	mustContain(t, "account", c.get("/account").body, "<dt>Two-factor sign-in</dt><dd>On")

	// The next sign-in asks for a code; the one just used does not work again.
	c2 := e.anonymous(t)
	res = c2.post("/login", url.Values{"email": {member.Email}, "password": {password}})
	if res.status != http.StatusSeeOther || res.location != "/login/totp?next=%2F" {
		t.Fatalf("second sign-in answered %d to %q", res.status, res.location)
	}
	if res := c2.get("/systems"); res.status != http.StatusSeeOther || res.location == "/systems" {
		t.Errorf("a session awaiting its code reached a page: %d %q", res.status, res.location)
	}
	res = c2.post("/login/totp", url.Values{"code": {accounts.TOTPCode(m[1], time.Now().Add(30*time.Second))}, "next": {"/findings"}})
	if res.status != http.StatusSeeOther || res.location != "/findings" {
		t.Fatalf("code answered %d to %q:\n%s", res.status, res.location, excerpt(res.body))
	}
	// Researchers are not staff: no second factor is asked of them.
	res = e.anonymous(t).post("/login", url.Values{"email": {e.user["researcher"].Email}, "password": {password}})
	if res.status != http.StatusSeeOther || res.location != "/" {
		t.Errorf("researcher sign-in answered %d to %q", res.status, res.location)
	}
}

package accounts_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// tokenOf returns the token of a message's link.
func tokenOf(t *testing.T, m mail.Message) string {
	t.Helper()
	u, err := url.Parse(m.Link)
	if err != nil || u.Query().Get("token") == "" || !strings.Contains(m.Body, m.Link) {
		t.Fatalf("message %q has no usable link (%q)", m.Subject, m.Link)
	}
	return u.Query().Get("token")
}

func countLinks(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.R().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM email_links`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRegistrationSameWorkEitherWay is the regression test of issue 8
// item 8 at the service: registering a new address and an address that
// has an account answer the same after the same work — one link recorded
// and one message through the mail-or-log step each, no password hashed
// on either path — and only the mailbox learns which it was. (The HTTP
// answers and their timing are compared in app.)
func TestRegistrationSameWorkEitherWay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, box := setupMail(t, db, accounts.Throttle{})
		if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "known@example.com", Role: authz.Researcher, Password: pw}); err != nil {
			t.Fatal(err)
		}
		for i, email := range []string{"new@example.com", "known@example.com", "KNOWN@example.com"} {
			links, msgs := countLinks(t, db), box.Count()
			profiles := 0
			err := s.RegisterResearcher(ctx, email, "handle", func(context.Context, *sql.Tx, string) error { profiles++; return nil })
			if err != nil {
				t.Fatalf("%s: %v", email, err)
			}
			if countLinks(t, db) != links+1 || box.Count() != msgs+1 {
				t.Fatalf("%s: %d links and %d messages made, want 1 and 1", email, countLinks(t, db)-links, box.Count()-msgs)
			}
			if want := map[bool]int{true: 1, false: 0}[i == 0]; profiles != want {
				t.Fatalf("%s: profile made %d times, want %d", email, profiles, want)
			}
		}
		got := box.To("known@example.com")
		if len(got) != 2 || !strings.Contains(got[0].Link, accounts.ResetPath) || !strings.Contains(got[0].Subject, "already have") {
			t.Fatalf("the known address is told it has an account, with a reset link: %+v", got)
		}
		if got := box.To("new@example.com"); len(got) != 1 || !strings.Contains(got[0].Link, accounts.VerifyPath) {
			t.Fatalf("the new address gets its verification link: %+v", got)
		}
	})
}

// TestFirstRegistrantCannotSetPassword: whoever registers an address
// first cannot sign in to it; the password is chosen by whoever opens the
// emailed link, which works once, and not after 48 hours.
func TestFirstRegistrantCannotSetPassword(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, box := setupMail(t, db, accounts.Throttle{PerAccountAddress: 100})
		// The attacker registers the victim's address, twice.
		for range 2 {
			if err := s.RegisterResearcher(ctx, "victim@example.com", "victim", nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, guess := range []string{"", pw, "kubu-dummy-password-for-timing"} {
			if _, err := s.Login(ctx, "victim@example.com", guess, client); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("signing in to an unverified registration with %q: %v", guess, err)
			}
		}
		msgs := box.To("victim@example.com")
		if len(msgs) != 2 {
			t.Fatalf("%d messages", len(msgs))
		}
		first, second := tokenOf(t, msgs[0]), tokenOf(t, msgs[1])
		st, err := s.CheckLink(ctx, accounts.PurposeVerify, first)
		if err != nil || !st.NeedsPassword || st.Email != "victim@example.com" {
			t.Fatalf("link state: %+v %v", st, err)
		}
		if _, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeVerify, Token: first}); !isField(err, "password") {
			t.Fatalf("verifying without choosing a password: %v", err)
		}
		// The expiry.
		s.SetNowForTest(func() time.Time { return time.Now().Add(accounts.VerifyLinkTTL + time.Minute) })
		if _, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeVerify, Token: first, Password: pw}); !errors.Is(err, accounts.ErrBadLink) {
			t.Fatalf("an expired link: %v", err)
		}
		s.SetNowForTest(time.Now)
		// The owner opens the second link (the first stays usable until used).
		u, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeVerify, Token: second, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if u.EmailVerifiedAt == nil || u.Pending() {
			t.Fatalf("verified account: %+v", u)
		}
		for _, tok := range []string{first, second} {
			if _, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeVerify, Token: tok, Password: "another long passphrase"}); !errors.Is(err, accounts.ErrBadLink) {
				t.Fatalf("a link after one was used: %v", err)
			}
		}
		if _, err := s.Login(ctx, "victim@example.com", pw, client); err != nil {
			t.Fatalf("the owner signs in: %v", err)
		}
	})
}

// TestPasswordResetByEmail: the request answers the same for any address;
// the emailed link is single-use, expires after an hour, is stored hashed,
// sets the password, ends every session and can revoke API tokens.
func TestPasswordResetByEmail(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, box := setupMail(t, db, accounts.Throttle{})
		u, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ana@example.gov", Role: authz.Analyst, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "ci", time.Hour)
		off, _ := s.CreateUser(ctx, root, accounts.NewUser{Email: "gone@example.gov", Role: authz.Analyst, Password: pw})
		if err := s.SetDisabled(ctx, root, off.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"Ana@Example.gov", "nobody@example.gov", "gone@example.gov"} {
			if err := s.RequestLink(ctx, email); err != nil {
				t.Fatalf("%s: %v", email, err)
			}
		}
		if err := s.RequestLink(ctx, "not an address"); !isField(err, "email") {
			t.Fatalf("a malformed address: %v", err)
		}
		for _, email := range []string{"nobody@example.gov", "gone@example.gov"} {
			if m := box.To(email); len(m) != 1 || m[0].Link != "" || !strings.Contains(m[0].Body, "no active account") {
				t.Fatalf("%s is told there is no account, without a link: %+v", email, m)
			}
		}
		m := box.To("ana@example.gov")
		if len(m) != 1 || !strings.Contains(m[0].Link, "https://kubu.example.gov"+accounts.ResetPath+"?token=") {
			t.Fatalf("reset message: %+v", m)
		}
		secret := tokenOf(t, m[0])
		var stored int
		db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM email_links WHERE token_hash = $1`, secret).Scan(&stored)
		if stored != 0 {
			t.Fatal("the link's token is stored in plain text")
		}
		if _, err := s.CheckLink(ctx, accounts.PurposeVerify, secret); !errors.Is(err, accounts.ErrBadLink) {
			t.Fatalf("a reset link used as a verification link: %v", err)
		}
		if _, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeReset, Token: secret, Password: "short"}); !isField(err, "password") {
			t.Fatalf("a weak password: %v", err)
		}
		after, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeReset, Token: secret, Password: "a fresh long passphrase", RevokeTokens: true})
		if err != nil {
			t.Fatal(err)
		}
		if after.SessionEpoch != u.SessionEpoch+1 {
			t.Fatal("the reset did not end the account's sessions")
		}
		if _, err := s.Authenticate(ctx, tok); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("a token after a reset asking to revoke them: %v", err)
		}
		if _, err := s.Login(ctx, "ana@example.gov", "a fresh long passphrase", client); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		if _, err := s.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeReset, Token: secret, Password: "yet another passphrase"}); !errors.Is(err, accounts.ErrBadLink) {
			t.Fatalf("a used link: %v", err)
		}
		// A reset link lasts an hour.
		if err := s.RequestLink(ctx, "ana@example.gov"); err != nil {
			t.Fatal(err)
		}
		late := tokenOf(t, box.To("ana@example.gov")[1])
		s.SetNowForTest(func() time.Time { return time.Now().Add(accounts.ResetLinkTTL + time.Minute) })
		defer s.SetNowForTest(time.Now)
		if _, err := s.CheckLink(ctx, accounts.PurposeReset, late); !errors.Is(err, accounts.ErrBadLink) {
			t.Fatalf("an expired link: %v", err)
		}
	})
}

func isField(err error, field string) bool {
	v, ok := validate.As(err)
	if !ok {
		return false
	}
	for _, f := range v {
		if f.Field == field {
			return true
		}
	}
	return false
}

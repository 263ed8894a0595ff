package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestCredentialChangesEndSessions is the regression test of issue 8 item
// 12 at the service: changing a password, or an administrator resetting
// the second factor, moves the account's session epoch on (which ends its
// other sessions; the browser test is in ui) and, when asked, revokes its
// API tokens, each step audited.
func TestCredentialChangesEndSessions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log := setup(t, db)
		u, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ana@example.gov", Role: authz.Analyst, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		keep, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "kept", time.Hour)
		after, err := s.ChangePassword(ctx, u.Actor(), accounts.PasswordChange{Current: pw, New: "a second long passphrase"})
		if err != nil {
			t.Fatal(err)
		}
		if after.SessionEpoch != u.SessionEpoch+1 {
			t.Fatalf("epoch %d after a password change, was %d", after.SessionEpoch, u.SessionEpoch)
		}
		if _, err := s.Authenticate(ctx, keep); err != nil {
			t.Fatalf("a token without asking to revoke: %v", err)
		}
		gone, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "second", time.Hour)
		after2, err := s.ChangePassword(ctx, u.Actor(), accounts.PasswordChange{Current: "a second long passphrase", New: "a third long passphrase", RevokeTokens: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{keep, gone} {
			if _, err := s.Authenticate(ctx, tok); !errors.Is(err, accounts.ErrBadToken) {
				t.Fatalf("a token after a password change with revocation: %v", err)
			}
		}
		// An administrator resets the second factor.
		third, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "third", time.Hour)
		if err := s.ResetTOTP(ctx, root, u.ID, false); err != nil {
			t.Fatal(err)
		}
		now, _ := s.ActiveUser(ctx, u.ID)
		if now.SessionEpoch != after2.SessionEpoch+1 {
			t.Fatalf("epoch %d after a second-factor reset, was %d", now.SessionEpoch, after2.SessionEpoch)
		}
		if _, err := s.Authenticate(ctx, third); err != nil {
			t.Fatalf("a token after a reset without revocation: %v", err)
		}
		if err := s.ResetTOTP(ctx, root, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, third); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("a token after a reset with revocation: %v", err)
		}
		recs, err := log.List(ctx, audit.Filter{AllAgencies: true, Code: audit.UserSessionsEnded.ID, TargetID: u.ID, Limit: 10})
		if err != nil || len(recs) != 4 {
			t.Fatalf("sessions ended audited %d times, want 4: %v", len(recs), err)
		}
		if _, err := log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

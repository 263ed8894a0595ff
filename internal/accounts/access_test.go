package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestCentralAccountsAreNotAgencyRecords: an account of no agency (a central
// role's, a researcher's) is a platform record, which an agency admin's
// grant never passes (round 1 let the zero agency mean "the collection" and
// patched the reads; now the model says it).
func TestCentralAccountsAreNotAgencyRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		mk := func(email string, role authz.Role, agency string) accounts.User {
			u, err := s.CreateUser(ctx, root, accounts.NewUser{Email: email, Role: role, Agency: agency, Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		analyst := mk("analyst@example.gov", authz.Analyst, "")
		admin := mk("admin@moh.example.gov", authz.AgencyAdmin, "MOH").Actor()
		member := mk("member@moh.example.gov", authz.AgencyMember, "MOH")
		researcher := mk("hacker@example.com", authz.Researcher, "").Actor()

		if _, err := s.User(ctx, admin, member.ID); err != nil {
			t.Fatalf("agency admin reading own agency's member: %v", err)
		}
		checks := map[string]error{}
		_, checks["read"] = s.User(ctx, admin, analyst.ID)
		checks["disable"] = s.SetDisabled(ctx, admin, analyst.ID, true)
		checks["reset TOTP"] = s.ResetTOTP(ctx, admin, analyst.ID, false)
		_, _, checks["make a token"] = s.CreateToken(ctx, admin, analyst.ID, "x", 0)
		for what, err := range checks {
			if !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("agency admin may %s a central account: %v, want not found", what, err)
			}
		}
		if _, err := s.CreateUser(ctx, admin, accounts.NewUser{Email: "boss@example.gov", Role: authz.Analyst, Password: pw}); err == nil {
			t.Error("agency admin created a central account")
		}

		// A researcher holds no grant on accounts: the same 403 for a real
		// account and a made-up id, for reading and for managing.
		for _, id := range []string{analyst.ID, "01m8jhcf27vr9jkzj71yw85x8a"} {
			if _, err := s.User(ctx, researcher, id); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("researcher reading account %s: %v, want forbidden", id, err)
			}
			if _, _, err := s.CreateToken(ctx, researcher, id, "x", 0); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("researcher making a token for %s: %v, want forbidden", id, err)
			}
			if err := s.SetDisabled(ctx, researcher, id, true); !errors.Is(err, authz.ErrForbidden) {
				t.Errorf("researcher disabling %s: %v, want forbidden", id, err)
			}
		}
		if _, err := s.User(ctx, researcher, researcher.UserID); err != nil {
			t.Errorf("researcher reading their own account: %v", err)
		}
	})
}

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

// TestSignInExternal covers the single sign-on account rules on both
// engines: made from the mapping once, found by subject after, matched by
// verified email, one subject per account and issuer, staff only.
func TestSignInExternal(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		const iss = "https://idp.example.gov"
		made, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "a1", Email: "Ana@Health.example.gov",
			EmailVerified: true, Name: "Ana", Role: authz.AgencyAdmin, Agency: "MOH"})
		if err != nil || made.Role != authz.AgencyAdmin || made.Agency != "MOH" || made.Email != "ana@health.example.gov" || made.EmailVerifiedAt == nil {
			t.Fatalf("first sign-in: %+v %v", made, err)
		}
		// Later: by subject, whatever the email or claims say now.
		again, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "a1", Email: "other@example.gov", Role: authz.WogAdmin})
		if err != nil || again.ID != made.ID || again.Role != authz.AgencyAdmin {
			t.Fatalf("second sign-in: %+v %v", again, err)
		}
		// An existing account by verified email; then it is bound to that subject.
		an, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "analyst@example.gov", Role: authz.Analyst, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "b1", Email: "analyst@example.gov"}); !errors.Is(err, accounts.ErrUnverifiedEmail) {
			t.Fatalf("unverified email: %v", err)
		}
		got, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "b1", Email: "analyst@example.gov", EmailVerified: true})
		if err != nil || got.ID != an.ID {
			t.Fatalf("match by email: %+v %v", got, err)
		}
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "b2", Email: "analyst@example.gov", EmailVerified: true}); err == nil {
			t.Fatal("a second subject took over a linked account")
		}
		// No mapping, no account; researchers never; unknown agencies refused.
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "c1", Email: "new@example.gov", EmailVerified: true}); !errors.Is(err, accounts.ErrNoExternalAccount) {
			t.Fatalf("no role: %v", err)
		}
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "c2", Email: "r@example.com", EmailVerified: true, Role: authz.Researcher}); !errors.Is(err, accounts.ErrExternalNotStaff) {
			t.Fatalf("researcher role: %v", err)
		}
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "c3", Email: "m@example.gov", EmailVerified: true, Role: authz.AgencyMember, Agency: "XYZ"}); !errors.Is(err, accounts.ErrNoExternalAccount) {
			t.Fatalf("unknown agency: %v", err)
		}
		// A disabled account is refused.
		if err := s.SetDisabled(ctx, root, an.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignInExternal(ctx, accounts.ExternalIdentity{Issuer: iss, Subject: "b1"}); !errors.Is(err, accounts.ErrExternalDisabled) {
			t.Fatalf("disabled: %v", err)
		}
		// The account made at sign-in has no password.
		if _, err := s.Login(ctx, "ana@health.example.gov", "", client); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("password sign-in of an SSO-made account: %v", err)
		}
	})
}

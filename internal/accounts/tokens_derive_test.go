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

// TestDerivedTokenNeverOutlivesParent is the regression test of issue 8
// item 10: a 3-second token minted a 366-day one that survived the
// parent's expiry and revocation. A derived token now expires with its
// parent at the latest and is revoked with it (and its own children).
func TestDerivedTokenNeverOutlivesParent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log := setup(t, db)
		u, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ci@example.gov", Role: authz.Analyst, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		// Expiry: a 3-second parent asks for 366 days.
		short, parent, err := s.CreateToken(ctx, u.Actor(), u.ID, "short", 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		childSecret, child, err := s.DeriveToken(ctx, short, "long", accounts.MaxTokenTTL)
		if err != nil {
			t.Fatal(err)
		}
		if child.ParentID != parent.ID || child.UserID != u.ID || child.ExpiresAt.After(*parent.ExpiresAt) {
			t.Fatalf("child %+v of parent %+v", child, parent)
		}
		if _, err := s.Authenticate(ctx, childSecret); err != nil {
			t.Fatalf("a fresh child: %v", err)
		}
		s.SetNowForTest(func() time.Time { return time.Now().Add(4 * time.Second) })
		if _, err := s.Authenticate(ctx, childSecret); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("the child after its parent expired: %v", err)
		}
		if _, _, err := s.DeriveToken(ctx, short, "late", 0); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("deriving from an expired token: %v", err)
		}
		s.SetNowForTest(time.Now)

		// Revocation: revoking a parent ends its children and theirs.
		top, topTok, _ := s.CreateToken(ctx, u.Actor(), u.ID, "top", time.Hour)
		midSecret, mid, err := s.DeriveToken(ctx, top, "mid", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !mid.ExpiresAt.Equal(*topTok.ExpiresAt) {
			t.Fatalf("ttl 0 means the parent's expiry: %v vs %v", mid.ExpiresAt, topTok.ExpiresAt)
		}
		leafSecret, leaf, err := s.DeriveToken(ctx, midSecret, "leaf", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, u.Actor(), topTok.ID); err != nil {
			t.Fatal(err)
		}
		for name, secret := range map[string]string{"top": top, "mid": midSecret, "leaf": leafSecret} {
			if _, err := s.Authenticate(ctx, secret); !errors.Is(err, accounts.ErrBadToken) {
				t.Errorf("%s after the top token was revoked: %v", name, err)
			}
		}
		if _, _, err := s.DeriveToken(ctx, top, "after", 0); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("deriving from a revoked token: %v", err)
		}
		for _, id := range []string{mid.ID, leaf.ID} {
			recs, err := log.List(ctx, audit.Filter{AllAgencies: true, Code: audit.TokenRevoked.ID, TargetID: id, Limit: 5})
			if err != nil || len(recs) != 1 {
				t.Fatalf("revocation of derived token %s audited %d times: %v", id, len(recs), err)
			}
		}
		toks, _ := s.Tokens(ctx, u.Actor(), u.ID)
		for _, tk := range toks {
			if tk.ID == leaf.ID && tk.ParentID != mid.ID {
				t.Fatalf("the leaf records its parent: %+v", tk)
			}
		}
		if _, err := log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

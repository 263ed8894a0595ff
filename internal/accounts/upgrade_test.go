package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// TestUpgradeFromRound1 opens a database made by the round 1 schema
// (version 3) with this build: staff are vouched for, a verified
// researcher stays verified, and a registration never verified loses the
// password its registrant chose and can be finished with a new link.
func TestUpgradeFromRound1(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			raw, opts := storetest.At(t, engine, 3)
			hash := accounts.HashPassword(pw)
			for _, q := range []string{
				`INSERT INTO users (id, email, role, password_hash, disabled, created_at, updated_at) VALUES
					('u1','staff@example.gov','analyst','` + hash + `',FALSE,1000,1000),
					('u2','done@example.com','researcher','` + hash + `',FALSE,2000,2000),
					('u3','squatted@example.com','researcher','` + hash + `',TRUE,3000,3000)`,
				`INSERT INTO researchers (user_id, handle, verified_at, verify_hash, verify_expires_at, created_at) VALUES
					('u2','done',2500,'',NULL,2000), ('u3','squatter',NULL,'abc',999999999999999,3000)`,
			} {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()

			db, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ring, _ := keys.New(bytes.Repeat([]byte{9}, 32))
			log := audit.New(db, ring)
			box := &testkit.Outbox{}
			s := accounts.New(db, log, registry.New(db, log), ring, accounts.Options{Mail: box})
			staff, _ := s.UserByEmail(ctx, "staff@example.gov")
			done, _ := s.UserByEmail(ctx, "done@example.com")
			squat, _ := s.UserByEmail(ctx, "squatted@example.com")
			if staff.EmailVerifiedAt == nil || staff.EmailVerifiedAt.UnixMilli() != 1000 || done.EmailVerifiedAt == nil || done.EmailVerifiedAt.UnixMilli() != 2500 {
				t.Fatalf("verified addresses after the upgrade: staff %v, researcher %v", staff.EmailVerifiedAt, done.EmailVerifiedAt)
			}
			if !squat.Pending() {
				t.Fatalf("the unverified registration is not pending: %+v", squat)
			}
			if _, err := s.Login(ctx, "squatted@example.com", pw, client); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("the squatter's password still works: %v", err)
			}
			if _, err := s.Login(ctx, "done@example.com", pw, client); err != nil {
				t.Fatalf("a verified researcher after the upgrade: %v", err)
			}
			if err := s.RequestLink(ctx, "squatted@example.com"); err != nil {
				t.Fatal(err)
			}
			if m := box.To("squatted@example.com"); len(m) != 1 || !strings.Contains(m[0].Link, accounts.VerifyPath) {
				t.Fatalf("the owner of the address gets a new verification link: %+v", m)
			}
		})
	}
}

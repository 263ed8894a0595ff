package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

var root = authz.Actor{UserID: "cli", Email: "kubu-cli", Role: authz.WogAdmin}

const pw = "correct horse battery staple"

// client is the address test sign-ins come from.
const client = "192.0.2.10"

func setup(t *testing.T, db *store.DB) (*accounts.Service, *audit.Log) {
	t.Helper()
	w := testkit.New(t, db)
	return accounts.New(db, w.Audit, w.Registry, w.Ring, accounts.Options{RequireTOTP: true}), w.Audit
}

func TestCreateUserRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		cases := []struct {
			in   accounts.NewUser
			want string // the field that must be reported, or "" for success
		}{
			{accounts.NewUser{Email: "Ana@Health.example.gov", Role: authz.AgencyAdmin, Agency: "MOH", Password: pw}, ""},
			{accounts.NewUser{Email: "x@example.gov", Role: authz.AgencyMember, Password: pw}, "agency"},
			{accounts.NewUser{Email: "y@example.gov", Role: authz.Analyst, Agency: "MOH", Password: pw}, "agency"},
			{accounts.NewUser{Email: "not-an-email", Role: authz.Analyst, Password: pw}, "email"},
			{accounts.NewUser{Email: "z@example.gov", Role: "boss", Password: pw}, "role"},
			{accounts.NewUser{Email: "w@example.gov", Role: authz.Analyst, Password: "short"}, "password"},
		}
		for _, c := range cases {
			_, err := s.CreateUser(ctx, root, c.in)
			if c.want == "" {
				if err != nil {
					t.Fatalf("%+v: %v", c.in, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%+v: got %v, want a problem with %s", c.in, err, c.want)
			}
		}
		if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ana@health.example.gov", Role: authz.Analyst, Password: pw}); err == nil {
			t.Fatal("duplicate email (different case) accepted")
		}
		ana, _ := s.UserByEmail(ctx, "ana@health.example.gov")
		// An agency admin manages only their own agency's people.
		if _, err := s.CreateUser(ctx, ana.Actor(), accounts.NewUser{Email: "m@health.example.gov", Role: authz.AgencyMember, Agency: "MOH", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, ana.Actor(), accounts.NewUser{Email: "m@edu.example.gov", Role: authz.AgencyMember, Agency: "MOE", Password: pw}); err == nil {
			t.Fatal("agency admin created a user in another agency")
		}
		if _, err := s.CreateUser(ctx, ana.Actor(), accounts.NewUser{Email: "boss@example.gov", Role: authz.WogAdmin, Password: pw}); err == nil {
			t.Fatal("agency admin created a wog-admin")
		}
		page, _ := s.ListUsers(ctx, ana.Actor(), "", 0, "")
		if len(page.Items) != 2 {
			t.Fatalf("agency admin lists %d users, want 2 (own agency only)", len(page.Items))
		}
	})
}

func TestLoginRateLimitAndTOTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log := setup(t, db)
		u, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "op@example.gov", Role: authz.Analyst, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "OP@example.gov", pw, client); err != nil {
			t.Fatalf("right password: %v", err)
		}
		for range accounts.MaxFailures {
			if _, err := s.Login(ctx, "op@example.gov", "wrong password!", client); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
		}
		if _, err := s.Login(ctx, "op@example.gov", pw, client); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("after %d failures the right password gave %v, want locked", accounts.MaxFailures, err)
		}
		// An account that does not exist answers exactly the same.
		for range accounts.MaxFailures {
			if _, err := s.Login(ctx, "ghost@example.gov", pw, client); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("unknown account: %v", err)
			}
		}
		if _, err := s.Login(ctx, "ghost@example.gov", pw, client); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("unknown account after failures: %v", err)
		}
		// After the window, the account works again.
		s.SetNowForTest(func() time.Time { return time.Now().Add(accounts.FailureWindow + time.Minute) })
		u2, err := s.Login(ctx, "op@example.gov", pw, client)
		if err != nil {
			t.Fatalf("after the window: %v", err)
		}
		s.SetNowForTest(time.Now)
		if _, err := s.CompleteLogin(ctx, u2, "password", client); err != nil { // a full sign-in clears the failures
			t.Fatal(err)
		}
		if !s.TOTPRequired(u) {
			t.Fatal("TOTP not required for staff")
		}
		// Enrol.
		e, err := s.BeginTOTP(ctx, u.Actor())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.QRCode(); err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmTOTP(ctx, u.Actor(), "000000"); !errors.Is(err, accounts.ErrBadCode) {
			t.Fatalf("wrong confirmation code: %v", err)
		}
		code := accounts.TOTPCode(e.Secret, time.Now())
		if err := s.ConfirmTOTP(ctx, u.Actor(), code); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		// The same code cannot be used again (replay).
		if err := s.CheckTOTP(ctx, u, code, client); !errors.Is(err, accounts.ErrBadCode) {
			t.Fatalf("replayed code: %v", err)
		}
		next := accounts.TOTPCode(e.Secret, time.Now().Add(30*time.Second))
		if err := s.CheckTOTP(ctx, u, next, client); err != nil {
			t.Fatalf("next code: %v", err)
		}
		if _, err := log.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTokensAndSecretsAtRest(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db)
		u, _ := s.CreateUser(ctx, root, accounts.NewUser{Email: "api@example.gov", Role: authz.Triager, Password: pw})
		secret, tok, err := s.CreateToken(ctx, root, u.ID, "ci", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, accounts.TokenPrefix) {
			t.Fatalf("token %q lacks the prefix", secret)
		}
		got, err := s.Authenticate(ctx, secret)
		if err != nil || got.ID != u.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		if _, err := s.Authenticate(ctx, secret+"x"); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("bad token: %v", err)
		}
		enrol, _ := s.BeginTOTP(ctx, u.Actor())
		// Nothing secret is stored in plain text anywhere.
		for _, table := range []string{"users", "api_tokens", "audit_log", "sessions"} {
			rows, err := db.R().QueryContext(ctx, `SELECT * FROM `+table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				rows.Scan(ptrs...)
				for i, v := range vals {
					var sv string
					switch x := v.(type) {
					case string:
						sv = x
					case []byte:
						sv = string(x)
					}
					for _, secretText := range []string{pw, secret, enrol.Secret} {
						if sv != "" && strings.Contains(sv, secretText) {
							t.Fatalf("%s.%s holds a secret in plain text", table, cols[i])
						}
					}
				}
			}
			rows.Close()
		}
		// Revoked and expired tokens stop working; so do disabled accounts' tokens.
		if err := s.RevokeToken(ctx, u.Actor(), tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("revoked token: %v", err)
		}
		secret2, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "short", time.Minute)
		s.SetNowForTest(func() time.Time { return time.Now().Add(2 * time.Minute) })
		if _, err := s.Authenticate(ctx, secret2); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("expired token: %v", err)
		}
		s.SetNowForTest(time.Now)
		secret3, _, _ := s.CreateToken(ctx, u.Actor(), u.ID, "third", 0)
		if err := s.SetDisabled(ctx, root, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret3); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("disabled account's token: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, root, u.ID, "x", 400*24*time.Hour); err == nil {
			t.Fatal("token TTL over a year accepted")
		}
	})
}

func TestSessionStore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ss := accounts.NewSessionStore(db)
		if err := ss.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		b, ok, err := ss.FindCtx(ctx, "tok")
		if err != nil || !ok || string(b) != "data" {
			t.Fatalf("find: %q %v %v", b, ok, err)
		}
		ss.CommitCtx(ctx, "old", []byte("x"), time.Now().Add(-time.Second))
		if _, ok, _ := ss.FindCtx(ctx, "old"); ok {
			t.Fatal("expired session found")
		}
		if err := ss.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		ss.DeleteCtx(ctx, "tok")
		if _, ok, _ := ss.FindCtx(ctx, "tok"); ok {
			t.Fatal("deleted session found")
		}
	})
}

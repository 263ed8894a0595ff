package accounts_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// BenchmarkRegisterResearcher compares the two paths of registration: a
// new address and one that has an account. They must cost the same (issue
// 8 item 8: they were 110–610 ms against 2–32 ms). docs/benchmarks.md has
// the numbers.
func BenchmarkRegisterResearcher(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	ctx := context.Background()
	s, _, _ := setupMail(b, db, accounts.Throttle{})
	if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "known@example.com", Role: authz.Researcher, Password: pw}); err != nil {
		b.Fatal(err)
	}
	b.Run("new", func(b *testing.B) {
		for i := range b.N {
			if err := s.RegisterResearcher(ctx, fmt.Sprintf("new%d-%d@example.com", b.N, i), "x", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("known", func(b *testing.B) {
		for range b.N {
			if err := s.RegisterResearcher(ctx, "known@example.com", "x", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoginRefusal compares refusing a wrong password, an unknown
// address and an account that has no password yet: each does the same
// argon2 work.
func BenchmarkLoginRefusal(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	ctx := context.Background()
	s, _, _ := setupMail(b, db, accounts.Throttle{PerAccountAddress: 1 << 30, PerAddress: 1 << 30, PerAccount: 1 << 30})
	if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "known@example.com", Role: authz.Analyst, Password: pw}); err != nil {
		b.Fatal(err)
	}
	if err := s.RegisterResearcher(ctx, "pending@example.com", "p", nil); err != nil {
		b.Fatal(err)
	}
	for _, email := range []string{"known@example.com", "unknown@example.com", "pending@example.com"} {
		b.Run(email[:len(email)-len("@example.com")], func(b *testing.B) {
			for i := range b.N {
				if _, err := s.Login(ctx, email, "wrong password!!", fmt.Sprintf("192.0.2.%d", i%250)); err == nil {
					b.Fatal("signed in")
				}
			}
		})
	}
}

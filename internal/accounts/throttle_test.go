package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

const (
	attacker = "203.0.113.66"
	owner    = "198.51.100.7"
)

// TestStrangerCannotLockOutOwner is the regression test of issue 8 item
// 11: three wrong passwords used to keep even wog-admin out for everyone.
// Now the guesser's address stays throttled (even for the right password,
// and after the owner signs in) while the owner signs in from another
// address, is told of the attempts, and is emailed when the limit is hit.
// An unknown account answers exactly the same.
func TestStrangerCannotLockOutOwner(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log, box := setupMail(t, db, accounts.Throttle{})
		admin, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "boss@example.gov", Role: authz.WogAdmin, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		answers := map[string][]error{}
		for _, email := range []string{"boss@example.gov", "ghost@example.gov"} {
			for range accounts.MaxFailures + 2 {
				_, err := s.Login(ctx, email, "wrong password!!", attacker)
				answers[email] = append(answers[email], err)
			}
			_, err := s.Login(ctx, email, pw, attacker)
			answers[email] = append(answers[email], err)
		}
		for i := range answers["boss@example.gov"] {
			want := accounts.ErrBadCredentials
			if i >= accounts.MaxFailures {
				want = accounts.ErrLocked
			}
			known, ghost := answers["boss@example.gov"][i], answers["ghost@example.gov"][i]
			if !errors.Is(known, want) || !errors.Is(ghost, want) {
				t.Fatalf("attempt %d: real account %v, unknown account %v; want %v for both", i+1, known, ghost, want)
			}
		}
		// The owner, elsewhere, is not kept out, and hears of it.
		u, err := s.Login(ctx, "boss@example.gov", pw, owner)
		if err != nil {
			t.Fatalf("the owner from another address: %v", err)
		}
		notice, err := s.CompleteLogin(ctx, u, "password", owner)
		if err != nil {
			t.Fatal(err)
		}
		if notice.Failures != accounts.MaxFailures || !strings.Contains(notice.Message(), "3 failed sign-in attempts") {
			t.Fatalf("notice on next sign-in: %+v %q", notice, notice.Message())
		}
		if again, _ := s.CompleteLogin(ctx, u, "password", owner); again.Failures != 0 {
			t.Fatalf("the notice is shown once: %+v", again)
		}
		// The guesser stays throttled after the owner's sign-in.
		if _, err := s.Login(ctx, "boss@example.gov", pw, attacker); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("the guesser after the owner signed in: %v", err)
		}
		if msgs := box.To("boss@example.gov"); len(msgs) != 1 || !strings.Contains(msgs[0].Body, attacker) {
			t.Fatalf("the owner is emailed once, naming the address: %+v", msgs)
		}
		if msgs := box.To("ghost@example.gov"); len(msgs) != 0 {
			t.Fatalf("mail sent for an unknown account: %+v", msgs)
		}
		recs, err := log.List(ctx, audit.Filter{AllAgencies: true, Code: audit.UserLoginThrottled.ID, TargetID: admin.ID, Limit: 10})
		if err != nil || len(recs) != 1 {
			t.Fatalf("throttling audited: %d %v", len(recs), err)
		}
		// The window passes for the guesser too.
		s.SetNowForTest(func() time.Time { return time.Now().Add(accounts.FailureWindow + time.Minute) })
		defer s.SetNowForTest(time.Now)
		if _, err := s.Login(ctx, "boss@example.gov", pw, attacker); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

// TestWideGuessingThrottled: guessing spread over many addresses, or one
// address spraying many accounts, is throttled for addresses the account
// has not signed in from, never for the owner's usual address.
func TestWideGuessingThrottled(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		limits := accounts.Throttle{PerAccountAddress: 2, PerAddress: 3, PerAccount: 3}
		s, _, _ := setupMail(t, db, limits)
		if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ana@example.gov", Role: authz.Analyst, Password: pw}); err != nil {
			t.Fatal(err)
		}
		u, err := s.Login(ctx, "ana@example.gov", pw, owner)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteLogin(ctx, u, "password", owner); err != nil { // owner's address is now known
			t.Fatal(err)
		}
		// Three guesses from three addresses: each address is under its own
		// limit, but the account has had enough from strangers.
		for i := range limits.PerAccount {
			if _, err := s.Login(ctx, "ana@example.gov", "wrong password!!", fmt.Sprintf("192.0.2.%d", i+1)); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if _, err := s.Login(ctx, "ana@example.gov", pw, "192.0.2.200"); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("a new address after wide guessing: %v", err)
		}
		if _, err := s.Login(ctx, "ana@example.gov", pw, owner); err != nil {
			t.Fatalf("the owner's usual address after wide guessing: %v", err)
		}
		// One address spraying unknown accounts is throttled everywhere
		// it has not signed in before.
		for i := range limits.PerAddress {
			if _, err := s.Login(ctx, fmt.Sprintf("spray%d@example.gov", i), "wrong password!!", "192.0.2.99"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		if _, err := s.Login(ctx, "someone-else@example.gov", "wrong password!!", "192.0.2.99"); !errors.Is(err, accounts.ErrLocked) {
			t.Fatalf("the spraying address on another account: %v", err)
		}
	})
}

// TestConcurrentGuessesCounted: guesses sent all at once are counted
// before their (slow) password check, so no more than the limit are
// checked.
func TestConcurrentGuessesCounted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _ := setupMail(t, db, accounts.Throttle{})
		if _, err := s.CreateUser(ctx, root, accounts.NewUser{Email: "ana@example.gov", Role: authz.Analyst, Password: pw}); err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := s.Login(ctx, "ana@example.gov", "wrong password!!", attacker)
				errs <- err
			}()
		}
		checked := 0
		for range n {
			switch err := <-errs; {
			case errors.Is(err, accounts.ErrBadCredentials):
				checked++
			case !errors.Is(err, accounts.ErrLocked):
				t.Fatalf("a guess answered %v", err)
			}
		}
		if checked != accounts.MaxFailures {
			t.Fatalf("%d of %d simultaneous guesses were checked, want %d", checked, n, accounts.MaxFailures)
		}
	})
}

package accounts_test

import (
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// setupMail is setup with mail going to an outbox and the given throttle.
func setupMail(t testing.TB, db *store.DB, limits accounts.Throttle) (*accounts.Service, *audit.Log, *testkit.Outbox) {
	t.Helper()
	w := testkit.New(t, db)
	box := &testkit.Outbox{}
	s := accounts.New(db, w.Audit, w.Registry, w.Ring, accounts.Options{RequireTOTP: true, Mail: box, PublicURL: "https://kubu.example.gov", Throttle: limits})
	return s, w.Audit, box
}

package accounts_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// outbox records mail instead of sending it.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) to(addr string) []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, m := range o.msgs {
		for _, t := range m.To {
			if t == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

// setupMail is setup with mail going to an outbox and the given throttle.
func setupMail(t testing.TB, db *store.DB, limits accounts.Throttle) (*accounts.Service, *audit.Log, *outbox) {
	t.Helper()
	w := testkit.New(t, db)
	box := &outbox{}
	s := accounts.New(db, w.Audit, w.Registry, w.Ring, accounts.Options{RequireTOTP: true, Mail: box, PublicURL: "https://kubu.example.gov", Throttle: limits})
	return s, w.Audit, box
}

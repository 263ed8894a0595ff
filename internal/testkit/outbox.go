package testkit

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/kubu-gov/kubu/internal/mail"
)

// Outbox is a mail sender for tests: it records every message instead of
// sending it, or refuses them all (as a mail server that answers "try
// again later" would) while Refuse(true) holds.
type Outbox struct {
	mu      sync.Mutex
	msgs    []mail.Message
	refused bool
}

// ErrRefused is what a refusing Outbox answers.
var ErrRefused = errors.New("smtp: 451 try again later")

// Send records m, or refuses it.
func (o *Outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refused {
		return ErrRefused
	}
	o.msgs = append(o.msgs, m)
	return nil
}

// Refuse makes the outbox refuse (true) or accept (false) what comes next.
func (o *Outbox) Refuse(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused = on
}

// To is the messages sent to addr, in order.
func (o *Outbox) To(addr string) []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, m := range o.msgs {
		if slices.Contains(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// Recipients is every recipient of every message, in order.
func (o *Outbox) Recipients() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, m := range o.msgs {
		out = append(out, m.To...)
	}
	return out
}

// Count is how many messages were sent.
func (o *Outbox) Count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/mail/mailtest"
)

func TestComposeRefusesHeaderInjection(t *testing.T) {
	tests := []struct {
		name string
		from string
		to   string
	}{
		{"line break in recipient", "kubu@example.gov", "a@example.com\r\nBcc: victim@example.com"},
		{"display name in recipient", "kubu@example.gov", "Evil <a@example.com>"},
		{"bad sender", "not an address", "a@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.Compose(tt.from, mail.Message{To: []string{tt.to}, Subject: "x"}, time.Now())
			if !errors.Is(err, mail.ErrBadAddress) {
				t.Fatalf("Compose = %v, want ErrBadAddress", err)
			}
		})
	}
	raw, err := mail.Compose("kubu@example.gov", mail.Message{To: []string{"a@example.com"}, Subject: "Hi\r\nBcc: x@example.com", Body: "line"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "\r\nBcc:") {
		t.Fatalf("subject line break became a header:\n%s", raw)
	}
}

// TestSendThroughRealSMTP sends through mailpit, a real SMTP server, via
// the queue, and reads the message back.
func TestSendThroughRealSMTP(t *testing.T) {
	sink := mailtest.Start(t)
	q := mail.NewQueue(&mail.SMTP{Addr: sink.SMTPAddr, From: "kubu@example.gov"}, nil, 10)
	body := "Hello,\n\nYour report café №1 was received. A long line " + strings.Repeat("x", 120) + "\n"
	if err := q.Send(context.Background(), mail.Message{To: []string{"reporter@example.com"}, Subject: "Report received ✓", Body: body}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	m := sink.WaitFor(t, "reporter@example.com", "Report received ✓")
	if strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n")) != strings.TrimSpace(body) {
		t.Fatalf("body arrived as %q", m.Text)
	}
	if err := q.Send(context.Background(), mail.Message{To: []string{"x@example.com"}}); err == nil {
		t.Fatal("send after close succeeded")
	}
}

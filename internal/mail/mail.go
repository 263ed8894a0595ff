// Package mail sends kubu's notification email over SMTP (net/smtp, with
// STARTTLS when the server offers it), and queues it so that a slow mail
// server never holds up a request.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"sync"
	"time"
)

// Message is one plain-text email.
type Message struct {
	To      []string
	Subject string
	Body    string
	// Link is the message's one action link (verify an address, reset a
	// password), also written in Body. When mail is off, Discard logs it
	// with the recipient so an operator can pass it on.
	Link string
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through an SMTP server.
type SMTP struct {
	Addr     string // host:port
	From     string // the envelope and header sender
	Username string // optional; PLAIN auth (only over TLS or to localhost)
	Password string
	Timeout  time.Duration // per message; 0 means 30 s
	// InsecureSkipVerify is for test servers with self-signed certificates.
	InsecureSkipVerify bool
}

// ErrBadAddress is returned for an address that is not a plain email
// address (or carries line breaks).
var ErrBadAddress = errors.New("mail: bad address")

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if len(m.To) == 0 {
		return nil
	}
	raw, err := Compose(s.From, m, time.Now())
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", s.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, InsecureSkipVerify: s.InsecureSkipVerify}); err != nil {
			return fmt.Errorf("mail: starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("mail: RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of data: %w", err)
	}
	return c.Quit()
}

// Compose builds the RFC 5322 text of m from from. Addresses must be plain
// addresses and the subject one line, so nothing can inject headers.
func Compose(from string, m Message, now time.Time) ([]byte, error) {
	if !plainAddress(from) {
		return nil, fmt.Errorf("%w: from %q", ErrBadAddress, from)
	}
	for _, to := range m.To {
		if !plainAddress(to) {
			return nil, fmt.Errorf("%w: %q", ErrBadAddress, to)
		}
	}
	subject := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, m.Subject)
	var id [12]byte
	rand.Read(id[:])
	domain := from[strings.LastIndexByte(from, '@')+1:]
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.To, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id[:]), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n")
	b.WriteString("Auto-Submitted: auto-generated\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
	return b.Bytes(), nil
}

func plainAddress(s string) bool {
	if strings.ContainsAny(s, "\r\n<>,") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// Discard drops messages, logging that mail is not configured (so an
// operator sees what would have been sent, without its body). A message
// with a Link is logged at info with its recipient and link: without mail,
// the operator is the only way a person can get their verification or
// password reset link.
type Discard struct{ Log *slog.Logger }

// Send implements Sender.
func (d Discard) Send(ctx context.Context, m Message) error {
	if d.Log == nil {
		return nil
	}
	if m.Link != "" {
		d.Log.Info("mail not configured; pass this link on to its recipient", "to", strings.Join(m.To, ", "),
			"subject", m.Subject, "link", m.Link)
		return nil
	}
	d.Log.Info("mail not configured; message dropped", "to", len(m.To), "subject", m.Subject)
	return nil
}

// Queue sends messages in the background through a Sender, so callers do
// not wait for the mail server. When the queue is full a message is
// dropped and logged. Close waits for queued messages to be sent.
type Queue struct {
	next   Sender
	log    *slog.Logger
	ch     chan Message
	wg     sync.WaitGroup
	mu     sync.RWMutex
	closed bool
}

// NewQueue starts a queue of size messages in front of next.
func NewQueue(next Sender, log *slog.Logger, size int) *Queue {
	q := &Queue{next: next, log: log, ch: make(chan Message, size)}
	q.wg.Add(1)
	go q.run()
	return q
}

// Send enqueues m; it never blocks.
func (q *Queue) Send(ctx context.Context, m Message) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return errors.New("mail: queue closed")
	}
	select {
	case q.ch <- m:
		return nil
	default:
		if q.log != nil {
			q.log.Warn("mail queue full; message dropped", "subject", m.Subject)
		}
		return errors.New("mail: queue full")
	}
}

func (q *Queue) run() {
	defer q.wg.Done()
	for m := range q.ch {
		if err := q.next.Send(context.Background(), m); err != nil && q.log != nil {
			q.log.Error("send mail", "err", err, "subject", m.Subject)
		}
	}
}

// Close stops accepting messages and waits until the queued ones are sent.
func (q *Queue) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	q.wg.Wait()
}

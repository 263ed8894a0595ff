// Package smtp opens SMTP sessions up to the point of a TLS handshake:
// banner, EHLO, STARTTLS. It has no dependency on the rest of kubu.
package smtp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ErrNoSTARTTLS means the server does not offer STARTTLS.
var ErrNoSTARTTLS = errors.New("STARTTLS not offered")

// Session is what the server said before TLS.
type Session struct {
	Banner   string
	STARTTLS bool // offered in the EHLO answer
}

// maxLine bounds one reply line; maxLines bounds one multi-line reply.
const (
	maxLine  = 2048
	maxLines = 100
)

// StartTLS dials with dial, reads the banner, says EHLO and, when offered,
// STARTTLS; on success conn is ready for a ClientHello. With the
// ErrNoSTARTTLS error the returned Session still says what was seen.
func StartTLS(ctx context.Context, dial func(ctx context.Context) (net.Conn, error), helo string, timeout time.Duration) (net.Conn, Session, error) {
	var s Session
	conn, err := dial(ctx)
	if err != nil {
		return nil, s, err
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	fail := func(err error) (net.Conn, Session, error) {
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("smtp: no answer within %s", timeout)
		}
		return nil, s, err
	}
	r := bufio.NewReaderSize(conn, maxLine)
	code, lines, err := reply(r)
	if err != nil {
		return fail(err)
	}
	if code != 220 {
		return fail(fmt.Errorf("smtp banner: %d %s", code, first(lines)))
	}
	s.Banner = first(lines)
	if _, err := fmt.Fprintf(conn, "EHLO %s\r\n", helo); err != nil {
		return fail(err)
	}
	code, lines, err = reply(r)
	if err != nil {
		return fail(err)
	}
	if code != 250 {
		return fail(fmt.Errorf("smtp EHLO: %d %s", code, first(lines)))
	}
	for _, l := range lines[1:] {
		if strings.EqualFold(strings.TrimSpace(l), "STARTTLS") {
			s.STARTTLS = true
		}
	}
	if !s.STARTTLS {
		fmt.Fprintf(conn, "QUIT\r\n")
		conn.Close()
		return nil, s, ErrNoSTARTTLS
	}
	if _, err := fmt.Fprintf(conn, "STARTTLS\r\n"); err != nil {
		return fail(err)
	}
	code, lines, err = reply(r)
	if err != nil {
		return fail(err)
	}
	if code != 220 {
		return fail(fmt.Errorf("smtp STARTTLS: %d %s", code, first(lines)))
	}
	if r.Buffered() > 0 {
		return fail(errors.New("smtp: data after the STARTTLS reply (command injection risk)"))
	}
	conn.SetDeadline(time.Time{})
	return conn, s, nil
}

// reply reads one (possibly multi-line) SMTP reply.
func reply(r *bufio.Reader) (int, []string, error) {
	var lines []string
	for i := 0; i < maxLines; i++ {
		line, isPrefix, err := r.ReadLine()
		if err != nil {
			return 0, nil, fmt.Errorf("smtp: %w", err)
		}
		if isPrefix {
			return 0, nil, errors.New("smtp: reply line too long")
		}
		l := string(line)
		if len(l) < 3 {
			return 0, nil, fmt.Errorf("smtp: malformed reply %q", l)
		}
		code := 0
		if _, err := fmt.Sscanf(l[:3], "%d", &code); err != nil {
			return 0, nil, fmt.Errorf("smtp: malformed reply %q", l)
		}
		text := ""
		if len(l) > 4 {
			text = l[4:]
		}
		lines = append(lines, text)
		if len(l) == 3 || l[3] == ' ' {
			return code, lines, nil
		}
		if l[3] != '-' {
			return 0, nil, fmt.Errorf("smtp: malformed reply %q", l)
		}
	}
	return 0, nil, errors.New("smtp: reply has too many lines")
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

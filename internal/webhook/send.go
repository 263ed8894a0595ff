package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sender posts signed deliveries to one URL.
type Sender struct {
	URL    string
	Secret []byte
	// Client defaults to one with a 10 s timeout.
	Client *http.Client
	// Now stands for time.Now in tests.
	Now func() time.Time
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	URL    string
	Status int
	Body   string // the start of the answer, for the log
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("webhook: POST %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Temporary reports whether a retry may succeed: 5xx, 408 and 429.
func (e *StatusError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

// Temporary reports whether err, from Send, is worth a retry: a network
// error, a timeout, or a temporary status.
func Temporary(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// NewDeliveryID returns a random delivery id.
func NewDeliveryID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Send posts body (JSON) signed now, with the delivery id (a new one if
// empty; pass the same one when retrying a delivery). A 2xx answer is
// success.
func (s *Sender) Send(ctx context.Context, delivery string, body []byte) error {
	if len(s.Secret) == 0 {
		return errors.New("webhook: no secret")
	}
	if delivery == "" {
		delivery = NewDeliveryID()
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kubu-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(s.Secret, ts, body))
	req.Header.Set(HeaderDelivery, delivery)
	c := s.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: POST %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{URL: s.URL, Status: resp.StatusCode, Body: strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?"))}
	}
	return nil
}

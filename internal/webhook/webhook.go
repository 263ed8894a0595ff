// Package webhook sends and verifies signed webhooks: an HTTP POST of a
// JSON body with
//
//	X-Kubu-Timestamp: 1767225600            (Unix seconds)
//	X-Kubu-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-Kubu-Delivery:  <random id, the same on a retry of one delivery>
//
// A receiver checks the signature with Verify (or VerifyRequest), refuses
// timestamps outside a window (5 minutes by default) and, with a
// ReplayGuard, a signature it has already seen. Containment (calls to a
// SOAR) and paging (incidents) send with Sender.
//
// The package has no dependency on the rest of kubu.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The headers.
const (
	HeaderTimestamp = "X-Kubu-Timestamp"
	HeaderSignature = "X-Kubu-Signature"
	HeaderDelivery  = "X-Kubu-Delivery"
)

// DefaultWindow is how far a timestamp may be from the receiver's clock.
const DefaultWindow = 5 * time.Minute

// Sign returns the X-Kubu-Signature value for body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrNoSignature  = errors.New("webhook: no " + HeaderSignature + " or " + HeaderTimestamp + " header")
	ErrBadTimestamp = errors.New("webhook: " + HeaderTimestamp + " is not Unix seconds")
	ErrStale        = errors.New("webhook: timestamp outside the allowed window")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrReplayed     = errors.New("webhook: delivery already seen")
	ErrTooLarge     = errors.New("webhook: body too large")
)

// Verify checks the headers of a delivery against body: the timestamp is
// within window of now (DefaultWindow if zero) and the signature is the
// HMAC of timestamp.body under one of the secrets (several allow a key
// rotation). It returns the timestamp.
func Verify(h http.Header, body []byte, now time.Time, window time.Duration, secrets ...[]byte) (time.Time, error) {
	sig, tsText := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || tsText == "" {
		return time.Time{}, ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts <= 0 {
		return time.Time{}, ErrBadTimestamp
	}
	if window <= 0 {
		window = DefaultWindow
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > window || d < -window {
		return at, fmt.Errorf("%w: %s from now, at most %s", ErrStale, d.Round(time.Second), window)
	}
	got, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return at, ErrBadSignature
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil {
		return at, ErrBadSignature
	}
	for _, s := range secrets {
		want, _ := hex.DecodeString(strings.TrimPrefix(Sign(s, ts, body), "sha256="))
		if hmac.Equal(gotMAC, want) {
			return at, nil
		}
	}
	return at, ErrBadSignature
}

// VerifyRequest reads r's body (at most maxBody bytes) and verifies it;
// a non-nil guard also refuses a signature seen before. It returns the
// body.
func VerifyRequest(r *http.Request, maxBody int64, window time.Duration, guard *ReplayGuard, secrets ...[]byte) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, ErrTooLarge
	}
	now := time.Now()
	at, err := Verify(r.Header, body, now, window, secrets...)
	if err != nil {
		return nil, err
	}
	if guard != nil {
		if err := guard.Check(r.Header.Get(HeaderSignature), at, now); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// ReplayGuard remembers the signatures of accepted deliveries for as long
// as their timestamps are within the window, so a captured delivery cannot
// be sent again. It holds at most Max entries (default 100,000): past
// that, the oldest are forgotten first.
type ReplayGuard struct {
	Window time.Duration
	Max    int

	mu    sync.Mutex
	seen  map[string]time.Time
	order []string
}

// Check records sig and refuses it if it was seen before.
func (g *ReplayGuard) Check(sig string, at, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = make(map[string]time.Time)
	}
	w := g.Window
	if w <= 0 {
		w = DefaultWindow
	}
	max := g.Max
	if max <= 0 {
		max = 100_000
	}
	// Forget what is past the window, and the oldest beyond Max.
	for len(g.order) > 0 {
		first := g.order[0]
		if t, ok := g.seen[first]; ok && now.Sub(t) <= w && len(g.order) < max {
			break
		}
		delete(g.seen, first)
		g.order = g.order[1:]
	}
	if _, ok := g.seen[sig]; ok {
		return ErrReplayed
	}
	g.seen[sig] = at
	g.order = append(g.order, sig)
	return nil
}

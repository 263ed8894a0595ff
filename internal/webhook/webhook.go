// Package webhook signs and verifies webhook deliveries the way kubu sends
// them (a standalone library: no kubu imports), and posts them.
//
// A delivery is an HTTP POST of a JSON body with three headers:
//
//	X-Kubu-Timestamp: 1767225600            (Unix seconds when it was signed)
//	X-Kubu-Signature: sha256=5257a869…      (hex HMAC-SHA256 over "TIMESTAMP.BODY")
//	X-Kubu-Delivery:  alert:01…:primary:…   (unique per delivery; the same on a retry)
//
// The key is the webhook's secret. A receiver recomputes the HMAC over the
// timestamp, a full stop and the raw body, compares it in constant time,
// refuses a timestamp outside its tolerance (replay protection: an old
// delivery captured in transit cannot be sent again later), and may drop a
// delivery id it has already handled (retries). The signature header may
// carry several comma-separated signatures (one per secret while a secret
// is being rotated); one match is enough.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	SignatureHeader = "X-Kubu-Signature"
	TimestampHeader = "X-Kubu-Timestamp"
	DeliveryHeader  = "X-Kubu-Delivery"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrMalformed    = errors.New("webhook: malformed signature or timestamp header")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance (a replay, or clocks apart)")
	ErrBadSignature = errors.New("webhook: no signature matches")
)

// NewSecret returns a new random secret (32 bytes, base64url, prefixed
// "whsec_" so secret scanners can spot it).
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

func mac(secret []byte, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the signature header value for body signed at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, ts.Unix(), body))
}

// ParseSignatures reads a signature header: one or more comma-separated
// "sha256=HEX" values (other schemes are skipped). It fails when there is
// no well-formed sha256 signature.
func ParseSignatures(header string) ([][]byte, error) {
	var out [][]byte
	if len(header) > 4096 {
		return nil, ErrMalformed
	}
	for _, part := range strings.Split(header, ",") {
		scheme, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || scheme != "sha256" {
			continue
		}
		if len(value) != 64 {
			return nil, ErrMalformed
		}
		b, err := hex.DecodeString(value)
		if err != nil {
			return nil, ErrMalformed
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, ErrMalformed
	}
	return out, nil
}

// ParseTimestamp reads a timestamp header (Unix seconds).
func ParseTimestamp(header string) (time.Time, error) {
	header = strings.TrimSpace(header)
	if header == "" || len(header) > 12 || strings.TrimLeft(header, "0123456789") != "" {
		return time.Time{}, ErrMalformed
	}
	n, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		return time.Time{}, ErrMalformed
	}
	return time.Unix(n, 0), nil
}

// Verify checks a delivery: the timestamp is within tolerance of now and a
// signature matches the HMAC of "TIMESTAMP.BODY" under secret.
func Verify(secret []byte, signatureHeader, timestampHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := ParseTimestamp(timestampHeader)
	if err != nil {
		return err
	}
	sigs, err := ParseSignatures(signatureHeader)
	if err != nil {
		return err
	}
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts.Unix(), body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// MaxBody is the largest delivery VerifyRequest reads.
const MaxBody = 1 << 20

// VerifyRequest reads and verifies a delivery received by an HTTP handler
// and returns its body.
func VerifyRequest(r *http.Request, secret []byte, now time.Time, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("webhook: body larger than %d bytes", MaxBody)
	}
	if err := Verify(secret, r.Header.Get(SignatureHeader), r.Header.Get(TimestampHeader), body, now, tolerance); err != nil {
		return nil, err
	}
	return body, nil
}

// Client posts deliveries.
type Client struct {
	HTTP *http.Client     // nil: a client with a 10 s timeout
	Now  func() time.Time // nil: time.Now
}

// StatusError is a delivery the receiver answered with a non-2xx status.
type StatusError struct {
	Status int
	Body   string // the start of the answer
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("webhook: receiver answered %d: %s", e.Status, e.Body)
}

// Post delivers body to url, signed with secret, with delivery as its id.
// Any 2xx answer is success.
func (c *Client) Post(ctx context.Context, url string, secret []byte, delivery string, body []byte) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ts := now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kubu-webhook/1")
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(SignatureHeader, Sign(secret, ts, body))
	req.Header.Set(DeliveryHeader, delivery)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &StatusError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

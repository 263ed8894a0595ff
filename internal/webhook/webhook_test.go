package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/webhook"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("whsec_test")
	at := time.Unix(1767225600, 0)
	body := []byte(`{"type":"page"}`)
	sig := webhook.Sign(secret, at, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 71 {
		t.Fatalf("signature %q", sig)
	}
	ts := "1767225600"
	for _, c := range []struct {
		name    string
		secret  []byte
		sig, ts string
		body    string
		now     time.Time
		want    error
	}{
		{"good", secret, sig, ts, string(body), at.Add(time.Minute), nil},
		{"one of several (rotation)", secret, "sha256=" + strings.Repeat("0", 64) + ", " + sig, ts, string(body), at, nil},
		{"other secret", []byte("x"), sig, ts, string(body), at, webhook.ErrBadSignature},
		{"body changed", secret, sig, ts, `{"type":"pagE"}`, at, webhook.ErrBadSignature},
		{"timestamp changed", secret, sig, "1767225601", string(body), at, webhook.ErrBadSignature},
		{"replayed later", secret, sig, ts, string(body), at.Add(6 * time.Minute), webhook.ErrStale},
		{"from the future", secret, sig, ts, string(body), at.Add(-6 * time.Minute), webhook.ErrStale},
		{"no signature", secret, "", ts, string(body), at, webhook.ErrMalformed},
		{"other scheme only", secret, "sha1=abcd", ts, string(body), at, webhook.ErrMalformed},
		{"short hex", secret, "sha256=abcd", ts, string(body), at, webhook.ErrMalformed},
		{"bad timestamp", secret, sig, "-5", string(body), at, webhook.ErrMalformed},
	} {
		if err := webhook.Verify(c.secret, c.sig, c.ts, []byte(c.body), c.now, webhook.DefaultTolerance); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestPost sends a real delivery to a receiver that verifies it.
func TestPost(t *testing.T) {
	secret := []byte(webhook.NewSecret())
	var got []byte
	var delivery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(r, secret, time.Now(), webhook.DefaultTolerance)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got, delivery = body, r.Header.Get(webhook.DeliveryHeader)
	}))
	defer srv.Close()
	c := &webhook.Client{}
	if err := c.Post(context.Background(), srv.URL, secret, "d1", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"a":1}` || delivery != "d1" {
		t.Fatalf("received %q %q", got, delivery)
	}
	err := c.Post(context.Background(), srv.URL, []byte("wrong"), "d2", []byte(`{}`))
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.Status != 401 {
		t.Fatalf("wrong secret: %v", err)
	}
	old := &webhook.Client{Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	if err := old.Post(context.Background(), srv.URL, secret, "d3", []byte(`{}`)); !errors.As(err, &se) || !strings.Contains(se.Body, "tolerance") {
		t.Fatalf("stale delivery: %v", err)
	}
}

// FuzzVerify: no input panics; any input that verifies was signed with the
// secret over that timestamp and body.
func FuzzVerify(f *testing.F) {
	secret := []byte("k")
	at := time.Unix(1767225600, 0)
	f.Add(webhook.Sign(secret, at, []byte("b")), "1767225600", []byte("b"))
	f.Add("sha256=zz,sha256=", "1767225600", []byte{})
	f.Add("sha1=00", "99999999999999", []byte("x"))
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		err := webhook.Verify(secret, sig, ts, body, at, webhook.DefaultTolerance)
		if err != nil {
			return
		}
		when, perr := webhook.ParseTimestamp(ts)
		if perr != nil || !strings.Contains(strings.ToLower(sig), webhook.Sign(secret, when, body)[7:]) {
			t.Fatalf("verified a signature it did not make: %q %q %q", sig, ts, body)
		}
	})
}

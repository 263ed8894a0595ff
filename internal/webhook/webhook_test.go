package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignKnownAnswer(t *testing.T) {
	// HMAC-SHA256("secret", "1767225600.{}"), computed independently with
	// openssl dgst -sha256 -hmac secret.
	got := Sign([]byte("secret"), 1767225600, []byte("{}"))
	const want = "sha256=fa7eaa06bf97d7815f3f456e97cde70c9e50cb005f01660c8d10b10c21964887"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"action":"block","value":"198.51.100.7"}`)
	now := time.Unix(1_767_225_600, 0)
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, now.Unix(), body))
	if _, err := Verify(h, body, now.Add(time.Minute), 0, secret); err != nil {
		t.Fatalf("good delivery: %v", err)
	}
	if _, err := Verify(h, body, now, 0, []byte("old"), secret); err != nil {
		t.Fatalf("second secret (rotation): %v", err)
	}
	tests := []struct {
		name   string
		mutate func(h http.Header, body []byte) (http.Header, []byte, time.Time)
		want   error
	}{
		{"body changed", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			return h, bytes.Replace(b, []byte("7"), []byte("8"), 1), now
		}, ErrBadSignature},
		{"timestamp changed", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			h = h.Clone()
			h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
			return h, b, now
		}, ErrBadSignature},
		{"too old", func(h http.Header, b []byte) (http.Header, []byte, time.Time) { return h, b, now.Add(6 * time.Minute) }, ErrStale},
		{"from the future", func(h http.Header, b []byte) (http.Header, []byte, time.Time) { return h, b, now.Add(-6 * time.Minute) }, ErrStale},
		{"no signature", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			h = h.Clone()
			h.Del(HeaderSignature)
			return h, b, now
		}, ErrNoSignature},
		{"bad timestamp", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			h = h.Clone()
			h.Set(HeaderTimestamp, "yesterday")
			return h, b, now
		}, ErrBadTimestamp},
		{"other scheme", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			h = h.Clone()
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "sha256=", "sha1=", 1))
			return h, b, now
		}, ErrBadSignature},
		{"not hex", func(h http.Header, b []byte) (http.Header, []byte, time.Time) {
			h = h.Clone()
			h.Set(HeaderSignature, "sha256=zz")
			return h, b, now
		}, ErrBadSignature},
	}
	for _, tc := range tests {
		h2, b2, at := tc.mutate(h, body)
		if _, err := Verify(h2, b2, at, 0, secret); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := Verify(h, body, now, 0, []byte("wrong")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestReplayGuard(t *testing.T) {
	g := &ReplayGuard{Window: time.Minute, Max: 3}
	now := time.Unix(1_767_225_600, 0)
	if err := g.Check("a", now, now); err != nil {
		t.Fatal(err)
	}
	if err := g.Check("a", now, now.Add(time.Second)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay: %v", err)
	}
	// Past the window it is forgotten (Verify refuses it as stale anyway).
	if err := g.Check("a", now, now.Add(2*time.Minute)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	for _, s := range []string{"b", "c", "d", "e"} {
		g.Check(s, now, now.Add(2*time.Minute))
	}
	if len(g.seen) > 3 || len(g.order) > 3 {
		t.Fatalf("guard holds %d entries, Max 3", len(g.seen))
	}
}

// receiver is a test endpoint that verifies deliveries as a SOAR would.
func receiver(t *testing.T, secret []byte, status int) (*httptest.Server, chan string) {
	got := make(chan string, 8)
	guard := &ReplayGuard{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := VerifyRequest(r, 1<<20, 0, guard, secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" || len(r.Header.Get(HeaderDelivery)) != 32 {
			http.Error(w, "headers", http.StatusBadRequest)
			return
		}
		got <- string(body)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestSendAndVerifyRequest(t *testing.T) {
	secret := []byte("s3cret")
	srv, got := receiver(t, secret, http.StatusAccepted)
	s := &Sender{URL: srv.URL, Secret: secret}
	if err := s.Send(context.Background(), "", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b != `{"a":1}` {
		t.Fatalf("received %q", b)
	}
	// A wrong secret is refused, with the receiver's reason.
	bad := &Sender{URL: srv.URL, Secret: []byte("nope")}
	err := bad.Send(context.Background(), "", []byte(`{}`))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 401 || !strings.Contains(se.Body, "signature does not match") || se.Temporary() || Temporary(err) {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := (&Sender{URL: srv.URL}).Send(context.Background(), "", nil); err == nil {
		t.Fatal("sent without a secret")
	}
}

func TestReplayRefusedByReceiver(t *testing.T) {
	secret := []byte("s3cret")
	srv, got := receiver(t, secret, http.StatusOK)
	body := []byte(`{"x":1}`)
	ts := time.Now().Unix()
	post := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, Sign(secret, ts, body))
		req.Header.Set(HeaderDelivery, NewDeliveryID())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(); c != 200 {
		t.Fatalf("first: %d", c)
	}
	<-got
	if c := post(); c != 401 {
		t.Fatalf("replayed delivery answered %d", c)
	}
}

func TestSendErrors(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	s := &Sender{URL: slow.URL, Secret: []byte("k"), Client: &http.Client{Timeout: 100 * time.Millisecond}}
	err := s.Send(context.Background(), "", []byte(`{}`))
	if err == nil || !Temporary(err) || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("timeout: %v", err)
	}
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "try later", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	err = (&Sender{URL: busy.URL, Secret: []byte("k")}).Send(context.Background(), "d1", []byte(`{}`))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 || !Temporary(err) || se.Body != "try later" {
		t.Fatalf("503: %v", err)
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := VerifyRequest(r, 4, 0, nil, []byte("k"))
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("VerifyRequest of a big body: %v", err)
		}
	}))
	defer big.Close()
	(&Sender{URL: big.URL, Secret: []byte("k")}).Send(context.Background(), "", []byte(`{"long":true}`))
}

package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/config"
)

// TestServePublishesCheckpoints runs kubu serve with --audit-publish: the
// checkpoint it signs (here the one on the way out) reaches the archive as
// a signed note that opens with the log's key and covers the whole log.
func TestServePublishesCheckpoints(t *testing.T) {
	got := make(chan []byte, 4)
	arch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer arch.Close()
	cfg := &config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", RequireTOTP: true, EventMaxAge: time.Hour, EventMaxBytes: 1 << 30,
		EventStream: "KUBU_EVENTS", AlertGroupWindow: time.Hour, IntakeMaxBody: 32 << 20,
		Audit: config.Audit{Publish: []string{arch.URL}, CheckpointEvery: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Registry.CreateAgency(ctx, root, registryAgency("MOH")); err != nil {
		t.Fatal(err)
	}
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { ready <- addr }) }()
	<-ready
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s")
	}
	s, err := a.Audit.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case note := <-got:
		cp, err := tlog.OpenCheckpoint(note, a.Audit.VerifierKey())
		if err != nil {
			t.Fatalf("the archived note does not open with the log's key: %v\n%s", err, note)
		}
		if int64(cp.Size) != s.Entries {
			t.Fatalf("the archived checkpoint covers %d entries; the log has %d", cp.Size, s.Entries)
		}
	default:
		t.Fatal("serve stopped without publishing its last checkpoint")
	}
	if len(got) != 0 {
		t.Fatalf("%d more notes published; want one checkpoint published once", len(got))
	}
}

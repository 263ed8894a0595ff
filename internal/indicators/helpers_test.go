package indicators_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

var (
	root    = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}
	analyst = authz.Actor{UserID: "u-analyst", Email: "analyst@gov.example", Role: authz.Analyst}
	triager = authz.Actor{UserID: "u-triager", Email: "triager@gov.example", Role: authz.Triager}
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type env struct {
	db       *store.DB
	al       *audit.Log
	det      *detect.Service
	s        *indicators.Service
	agencies map[string]string
}

func newEnv(t testing.TB, db *store.DB, opts indicators.Options) *env {
	t.Helper()
	ring, err := keys.New(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, al: audit.New(db, ring), agencies: map[string]string{}}
	reg := registry.New(db, e.al)
	for _, code := range []string{"MOH", "MOE"} {
		ag, err := reg.CreateAgency(context.Background(), root, registry.NewAgency{Code: code, Name: "Ministry " + code})
		if err != nil {
			t.Fatal(err)
		}
		e.agencies[code] = ag.ID
	}
	e.det = detect.New(db, e.al, quiet(), detect.Options{Workers: 1})
	if opts.Log == nil {
		opts.Log = quiet()
	}
	if opts.Refresh == 0 {
		opts.Refresh = 50 * time.Millisecond
	}
	e.s = indicators.New(db, e.al, e.det, reg, opts)
	return e
}

// run starts the service over an embedded event log until the test ends.
func (e *env) run(t *testing.T) *eventlog.Log {
	t.Helper()
	l, err := eventlog.Open(context.Background(), eventlog.Config{DataDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := e.s.Run(ctx, l); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		l.Close()
	})
	return l
}

// event is one stored event line as intake writes it.
func event(agency, host, body string) string {
	return fmt.Sprintf(`{"@kubu":{"agency":%q,"source":"token:t","protocol":"hec","received":%q,"host":%q},%s`,
		agency, time.Now().UTC().Format(time.RFC3339Nano), host, strings.TrimPrefix(body, "{"))
}

// publish stores events as one batch of the agency.
func publish(t *testing.T, l *eventlog.Log, agency string, lines ...string) {
	t.Helper()
	subj, err := l.Subject(agency)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.Publish(ctx, subj, []byte(strings.Join(lines, "\n")), ""); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// bundle makes a STIX bundle of indicator objects, each given as
// id, pattern and extra members.
func bundle(objs ...string) string {
	return `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[` + strings.Join(objs, ",") + `]}`
}

func indicator(id, modified, pattern, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-01-01T00:00:00.000Z","modified":%q,"pattern":%q,"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`,
		id, modified, pattern, extra)
}

package detect

import (
	"github.com/kubu-gov/kubu/internal/event"

	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

var (
	root    = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}
	analyst = authz.Actor{UserID: "analyst1", Role: authz.Analyst}
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a detection service over a real database and a real embedded
// event log.
type env struct {
	db       *store.DB
	al       *audit.Log
	log      *eventlog.Log
	s        *Service
	agencies map[string]string // code → id
	opts     Options
	cancel   context.CancelFunc
	done     sync.WaitGroup
}

func newEnv(t *testing.T, db *store.DB, opts Options) *env {
	t.Helper()
	ring, err := keys.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, al: audit.New(db, ring), agencies: map[string]string{}, opts: opts}
	reg := registry.New(db, e.al)
	for _, code := range []string{"MOH", "MOE"} {
		ag, err := reg.CreateAgency(context.Background(), root, registry.NewAgency{Code: code, Name: "Ministry " + code})
		if err != nil {
			t.Fatal(err)
		}
		e.agencies[code] = ag.ID
	}
	e.log = openLog(t, t.TempDir())
	e.s = New(db, e.al, quietLog(), opts)
	return e
}

func openLog(t *testing.T, dir string) *eventlog.Log {
	t.Helper()
	l, err := eventlog.Open(context.Background(), eventlog.Config{DataDir: dir, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// start runs detection until stop (or the test's end).
func (e *env) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done.Add(1)
	go func() {
		defer e.done.Done()
		if err := e.s.Run(ctx, e.log); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(e.stop)
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := e.s.WaitRules(wctx); err != nil {
		t.Fatal(err)
	}
}

func (e *env) stop() {
	if e.cancel != nil {
		e.cancel()
		e.done.Wait()
		e.cancel = nil
	}
}

// restart stops detection and starts a new service over the same
// database and event log, as a restarted node would.
func (e *env) restart(t *testing.T) {
	t.Helper()
	e.stop()
	e.s = New(e.db, e.al, quietLog(), e.opts)
	e.start(t)
}

// ev is one event as intake stores it (event.AppendLine).
func ev(agency, host string, at time.Time, fields map[string]any) []byte {
	b, _ := json.Marshal(fields)
	return event.AppendLine(nil, b, &event.Meta{Agency: agency, Source: "test", Protocol: "hec", Host: host, Received: at, Time: at})
}

// publish stores one batch of events for agency and returns its sequence.
func (e *env) publish(t *testing.T, agency string, events ...[]byte) uint64 {
	t.Helper()
	subj, err := e.log.Subject(agency)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := e.log.Publish(context.Background(), subj, bytes.Join(events, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// alerts lists every alert as an analyst sees them.
func (e *env) alerts(t *testing.T, f AlertFilter) []Alert {
	t.Helper()
	f.Limit = 1000
	page, err := e.s.ListAlerts(context.Background(), analyst, f)
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (e *env) addRule(t *testing.T, yaml string) Rule {
	t.Helper()
	r, err := e.s.CreateRule(context.Background(), root, []byte(yaml))
	if err != nil {
		t.Fatalf("CreateRule: %v", err)
	}
	return r
}

const ruleFailedLogon = `title: Failed logon
id: 7f1f0d4e-0b6a-4f38-9d5c-000000000001
status: test
level: high
tags: [attack.credential-access, attack.t1110]
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
`

func failedLogon(user string) map[string]any {
	return map[string]any{"EventID": 4625, "Channel": "Security", "TargetUserName": user}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

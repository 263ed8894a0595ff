package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

var root = testkit.Root

// rig is an intake over a real SQLite database and a real embedded event
// log, served the way the web router serves intake routes.
type rig struct {
	s      *Service
	log    *eventlog.Log
	db     *store.DB
	srv    *httptest.Server
	tokens map[string]string // agency code → intake token
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	w := testkit.New(t, db)
	ctx := context.Background()
	r := &rig{db: db, tokens: map[string]string{}}
	r.s = New(db, w.Audit, w.Registry, quietLog(), opts)
	for _, code := range []string{"MOH", "MOE"} {
		secret, _, err := r.s.CreateToken(ctx, root, code, "test shipper")
		if err != nil {
			t.Fatal(err)
		}
		r.tokens[code] = secret
	}
	var err error
	r.log, err = eventlog.Open(ctx, eventlog.Config{DataDir: t.TempDir(), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.log.Close() })
	r.s.Attach(r.log)
	r.srv = serveIntake(t, r.s)
	return r
}

// serveIntake serves s's HTTP intake routes on a test server.
func serveIntake(t *testing.T, s *Service) *httptest.Server {
	mux := http.NewServeMux()
	for pattern, h := range map[string]http.HandlerFunc{
		"POST /services/collector/event": s.HECEvent, "POST /services/collector/raw": s.HECRaw,
		"GET /services/collector/health": s.HECHealth, "POST /services/collector/ack": s.HECAck,
		"POST /_bulk": s.Bulk, "POST /{index}/_bulk": s.Bulk, "POST /v1/logs": s.OTLPLogs,
	} {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			if _, ok := s.Authenticate(w, req); ok {
				h(w, req)
			}
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// otherNode is a second intake node on the same database and event log,
// with the same tokens (a second kubu behind one load balancer).
func (r *rig) otherNode(t *testing.T, opts Options) *rig {
	t.Helper()
	ring, err := keys.New(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	al := audit.New(r.db, ring)
	o := &rig{db: r.db, log: r.log, tokens: r.tokens}
	o.s = New(r.db, al, registry.New(r.db, al), quietLog(), opts)
	o.s.Attach(r.log)
	o.srv = serveIntake(t, o.s)
	return o
}

// send posts body to path with the given headers and returns the status,
// headers and body.
func (r *rig) send(t *testing.T, method, path string, body io.Reader, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// stored reads every event in the log, by id.
func (r *rig) stored(t *testing.T) []storedEvent {
	t.Helper()
	var out []storedEvent
	err := r.log.Range(context.Background(), time.Time{}, time.Time{}, func(m eventlog.Msg) error {
		for i, line := range strings.Split(strings.TrimSuffix(string(m.Data), "\n"), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("stored line %d of batch %d is not JSON: %v\n%s", i, m.Seq, err, line)
			}
			out = append(out, storedEvent{Subject: m.Subject, Line: line, Fields: ev})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type storedEvent struct {
	Subject string
	Line    string
	Fields  map[string]any
}

func (e storedEvent) meta(k string) string {
	m, _ := e.Fields[MetaKey].(map[string]any)
	s, _ := m[k].(string)
	return s
}

// statsOf returns the counters as the API reports them to an analyst.
func (r *rig) statsOf(t *testing.T) StatsReport {
	t.Helper()
	st, err := r.s.Stats(context.Background(), authz.Actor{UserID: "u", Role: authz.Analyst})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// syncBuffer is a goroutine-safe bytes.Buffer for child process output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func timeZero() time.Time { return time.Unix(1_700_000_000, 0) }

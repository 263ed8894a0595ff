package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// testApp is a running kubu on one engine with a bearer token per role.
type testApp struct {
	*app.App
	logs   *syncBuffer // everything kubu logged, at debug level
	srv    *httptest.Server
	tokens map[string]string
	ids    map[string]string
	emails map[string]string
}

var root = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}

func newTestApp(t *testing.T, engine store.Engine) *testApp {
	t.Helper()
	return newTestAppWith(t, engine, nil)
}

// newTestAppTOTP is newTestApp with the RequireTOTP setting given (off lets
// tests sign staff in to the pages with a password alone).
func newTestAppTOTP(t *testing.T, engine store.Engine, requireTOTP bool) *testApp {
	t.Helper()
	return newTestAppWith(t, engine, func(c *config.Config) { c.RequireTOTP = requireTOTP })
}

// newTestAppWith is newTestApp with the configuration changed by mod first.
func newTestAppWith(t *testing.T, engine store.Engine, mod func(*config.Config)) *testApp {
	t.Helper()
	opts := storetest.Options(t, engine)
	cfg := &config.Config{DataDir: t.TempDir(), DatabaseURL: opts.URL, Addr: "127.0.0.1:0", RequireTOTP: true}
	if mod != nil {
		mod(cfg)
	}
	logs := &syncBuffer{}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ta := &testApp{App: a, logs: logs, tokens: map[string]string{}, ids: map[string]string{}, emails: map[string]string{}}
	ta.srv = httptest.NewServer(a.Handler())
	t.Cleanup(ta.srv.Close)
	ctx := context.Background()
	for _, code := range []string{"MOH", "MOE"} {
		ag, err := a.Registry.CreateAgency(ctx, root, registryAgency(code))
		if err != nil {
			t.Fatal(err)
		}
		ta.ids[code] = ag.ID
	}
	users := []struct{ key, email, role, agency string }{
		{"admin", "admin@example.gov", "wog-admin", ""},
		{"analyst", "analyst@example.gov", "analyst", ""},
		{"triager", "triager@example.gov", "triager", ""},
		{"a-admin", "admin@moh.example.gov", "agency-admin", "MOH"},
		{"a-member", "member@moh.example.gov", "agency-member", "MOH"},
		{"b-member", "member@moe.example.gov", "agency-member", "MOE"},
		{"researcher", "hacker@example.com", "researcher", ""},
	}
	for _, u := range users {
		created, err := a.Accounts.CreateUser(ctx, root, accounts.NewUser{Email: u.email, Role: authz.Role(u.role), Agency: u.agency, Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Accounts.CreateToken(ctx, root, created.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		ta.tokens[u.key] = tok
		ta.ids[u.key] = created.ID
		ta.emails[u.key] = u.email
	}
	return ta
}

// do sends a request as the user key ("" for anonymous) and decodes a JSON answer.
func (ta *testApp) do(t *testing.T, who, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, ta.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+ta.tokens[who])
	}
	resp, err := ta.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// syncBuffer collects log output from many goroutines.
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

// actor returns the authz.Actor of the user key.
func (ta *testApp) actor(t *testing.T, who string) authz.Actor {
	t.Helper()
	u, err := ta.Accounts.User(context.Background(), root, ta.ids[who])
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

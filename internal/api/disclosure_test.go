package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/api"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/web"
)

// server is the JSON API over a fresh database, with a token per role.
type server struct {
	*httptest.Server
	svc    *disclosure.Service
	db     *store.DB
	tokens map[string]string
	ids    map[string]string
	sysA   registry.System
}

var root = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}

func newServer(t *testing.T, db *store.DB, limits *ratelimit.Policy) *server {
	t.Helper()
	ctx := context.Background()
	ring, _ := keys.New(bytes.Repeat([]byte{9}, 32))
	log := audit.New(db, ring)
	reg := registry.New(db, log)
	fs := findings.New(db, log, reg)
	acc := accounts.New(db, log, reg, ring, accounts.Options{RequireTOTP: true})
	svc := disclosure.New(db, log, reg, fs, ring, disclosure.Options{PublicURL: "https://kubu.example.gov", Accounts: acc})
	acc.OnCreate(svc.ProfileForNewAccount) // researchers made below get their profile
	if _, err := svc.EnsureVDP(ctx); err != nil {
		t.Fatal(err)
	}
	s := &server{svc: svc, db: db, tokens: map[string]string{}, ids: map[string]string{}}
	for _, code := range []string{"MOH", "MOE"} {
		if _, err := reg.CreateAgency(ctx, root, registry.NewAgency{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	name, hosts := "HealthHub", []string{"healthhub.example.sg"}
	var err error
	if s.sysA, err = reg.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ key, email, role, agency string }{
		{"admin", "admin@example.gov", "wog-admin", ""}, {"admin2", "admin2@example.gov", "wog-admin", ""},
		{"triager", "triager@example.gov", "triager", ""}, {"a-member", "m@moh.example.gov", "agency-member", "MOH"},
		{"a-admin", "admin@moh.example.gov", "agency-admin", "MOH"},
		{"b-member", "m@moe.example.gov", "agency-member", "MOE"}, {"researcher", "r@example.com", "researcher", ""},
		{"researcher2", "r2@example.com", "researcher", ""},
	} {
		created, err := acc.CreateUser(ctx, root, accounts.NewUser{Email: u.email, Role: authz.Role(u.role), Agency: u.agency, Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := acc.CreateToken(ctx, root, created.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.key], s.ids[u.key] = tok, created.ID
	}
	rt := web.NewRouter(&web.Authenticator{Accounts: acc}, slog.New(slog.DiscardHandler))
	api.Register(rt, api.Deps{Registry: reg, Findings: fs, Accounts: acc, Audit: log, Disclosure: svc, Limits: limits})
	s.Server = httptest.NewServer(rt)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	code   int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends a request; auth is a role key, "bearer:TOKEN", or "".
func (s *server) call(t *testing.T, auth, method, path string, body any, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case *bytes.Buffer:
		rd = b
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	switch {
	case strings.HasPrefix(auth, "bearer:"):
		req.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(auth, "bearer:"))
	case auth != "":
		req.Header.Set("Authorization", "Bearer "+s.tokens[auth])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, header: resp.Header}
	a.raw, _ = io.ReadAll(resp.Body)
	json.Unmarshal(a.raw, &a.body)
	return a
}

// TestContractPublicVDP is contract §4 over HTTP: submit without an
// account, follow with the bearer token, and a wrong or missing token
// answering exactly like an unknown tracking id.
func TestContractPublicVDP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db, nil)
		a := s.call(t, "", "POST", "/api/v1/public/vdp/reports", `{"title":"Reflected XSS","description":"<script>alert(1)</script> in q","affected_url":"https://healthhub.example.sg/search?q=1","reporter_email":"anon@example.net"}`)
		if a.code != 201 || len(a.body) != 2 {
			t.Fatalf("submit: %d %s", a.code, a.raw)
		}
		id, tok := a.body["tracking_id"].(string), a.body["token"].(string)
		if len(id) != 26 || tok == "" {
			t.Fatalf("receipt %s", a.raw)
		}
		got := s.call(t, "bearer:"+tok, "GET", "/api/v1/public/vdp/reports/"+id, nil)
		if got.code != 200 || got.body["tracking_id"] != id || got.body["status"] != "new" || got.body["reporter_email"] != nil {
			t.Fatalf("follow: %d %s", got.code, got.raw)
		}
		other := s.call(t, "", "POST", "/api/v1/public/vdp/reports", `{"title":"Other","description":"other"}`)
		guess := "0" + id[1:] // a well-formed id that is not this one
		if id[0] == '0' {
			guess = "1" + id[1:]
		}
		unknown := s.call(t, "bearer:"+tok, "GET", "/api/v1/public/vdp/reports/"+guess, nil)
		for name, a := range map[string]answer{
			"wrong token":     s.call(t, "bearer:vdp_nope", "GET", "/api/v1/public/vdp/reports/"+id, nil),
			"missing token":   s.call(t, "", "GET", "/api/v1/public/vdp/reports/"+id, nil),
			"another's token": s.call(t, "bearer:"+other.body["token"].(string), "GET", "/api/v1/public/vdp/reports/"+id, nil),
			"an API token":    s.call(t, "triager", "GET", "/api/v1/public/vdp/reports/"+id, nil),
		} {
			if a.code != 404 || !bytes.Equal(a.raw, unknown.raw) {
				t.Errorf("%s: %d %s, want exactly the unknown id's 404 %s", name, a.code, a.raw, unknown.raw)
			}
		}
		if unknown.code != 404 {
			t.Fatalf("unknown tracking id: %d", unknown.code)
		}
		// Reply, rotate, and the old token stops working.
		if r := s.call(t, "bearer:"+tok, "POST", "/api/v1/public/vdp/reports/"+id+"/messages", `{"body":"More detail"}`); r.code != 201 {
			t.Fatalf("reply: %d %s", r.code, r.raw)
		}
		rot := s.call(t, "bearer:"+tok, "POST", "/api/v1/public/vdp/reports/"+id+"/token", nil)
		if rot.code != 200 || rot.body["token"] == tok {
			t.Fatalf("rotate: %d %s", rot.code, rot.raw)
		}
		if r := s.call(t, "bearer:"+tok, "GET", "/api/v1/public/vdp/reports/"+id, nil); r.code != 404 {
			t.Fatalf("old token after rotation: %d", r.code)
		}
		if r := s.call(t, "bearer:"+rot.body["token"].(string), "GET", "/api/v1/public/vdp/reports/"+id, nil); r.code != 200 || len(r.body["messages"].([]any)) != 1 {
			t.Fatalf("new token: %d %s", r.code, r.raw)
		}
		// Strict JSON: an unknown field is refused.
		if r := s.call(t, "", "POST", "/api/v1/public/vdp/reports", `{"title":"x","description":"y","admin":true}`); r.code != 400 {
			t.Fatalf("unknown field: %d", r.code)
		}
	})
}

// TestPublicMultipartAndDownload submits with attachments and downloads
// one: only ever as an attachment, nosniff, sandboxed.
func TestPublicMultipartAndDownload(t *testing.T) {
	s := newServer(t, storetest.Open(t, store.SQLite), nil)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("title", "IDOR")
	mw.WriteField("description", "Change the id.")
	mw.WriteField("cwe", "CWE-639")
	fw, _ := mw.CreateFormFile("attachments", "poc.txt")
	fw.Write([]byte("GET /users/2 HTTP/1.1\n"))
	hw, _ := mw.CreateFormFile("attachments", "evil.html")
	hw.Write([]byte("<html><script>alert(1)</script></html>"))
	mw.Close()
	a := s.call(t, "", "POST", "/api/v1/public/vdp/reports", bytes.NewBuffer(append([]byte(nil), buf.Bytes()...)), "Content-Type", mw.FormDataContentType())
	if a.code != 400 || !strings.Contains(string(a.raw), "evil.html is not an allowed type") {
		t.Fatalf("HTML attachment: %d %s", a.code, a.raw)
	}
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	mw.WriteField("title", "IDOR")
	mw.WriteField("description", "Change the id.")
	mw.WriteField("cwe", "CWE-639")
	fw, _ = mw.CreateFormFile("attachments", "poc.txt")
	fw.Write([]byte("GET /users/2 HTTP/1.1\n"))
	mw.Close()
	a = s.call(t, "", "POST", "/api/v1/public/vdp/reports", &buf, "Content-Type", mw.FormDataContentType())
	if a.code != 201 {
		t.Fatalf("multipart submit: %d %s", a.code, a.raw)
	}
	id, tok := a.body["tracking_id"].(string), a.body["token"].(string)
	r := s.call(t, "bearer:"+tok, "GET", "/api/v1/public/vdp/reports/"+id, nil)
	atts := r.body["attachments"].([]any)
	if len(atts) != 1 || r.body["cwe"] != 639.0 {
		t.Fatalf("report: %s", r.raw)
	}
	aid := atts[0].(map[string]any)["id"].(string)
	d := s.call(t, "bearer:"+tok, "GET", "/api/v1/public/vdp/reports/"+id+"/attachments/"+aid, nil)
	if d.code != 200 || string(d.raw) != "GET /users/2 HTTP/1.1\n" {
		t.Fatalf("download: %d %q", d.code, d.raw)
	}
	for k, want := range map[string]string{"Content-Disposition": `attachment; filename="poc.txt"`, "X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox", "Content-Type": "application/octet-stream"} {
		if got := d.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if d := s.call(t, "bearer:vdp_x", "GET", "/api/v1/public/vdp/reports/"+id+"/attachments/"+aid, nil); d.code != 404 {
		t.Fatalf("download with a wrong token: %d", d.code)
	}
	if d := s.call(t, "researcher", "GET", "/api/v1/reports/"+id+"/attachments/"+aid, nil); d.code != 404 {
		t.Fatalf("researcher downloading an anonymous report's file: %d", d.code)
	}
}

// TestPublicRateLimit: 30 submissions a minute per client address, then
// 429 with Retry-After; another address is not affected; proxy headers
// count only when trusted.
func TestPublicRateLimit(t *testing.T) {
	for _, trust := range []bool{false, true} {
		name := "direct"
		if trust {
			name = "behind a trusted proxy"
		}
		t.Run(name, func(t *testing.T) {
			s := newServer(t, storetest.Open(t, store.SQLite), ratelimit.NewPolicy(ratelimit.PolicyConfig{TrustProxy: trust}))
			body := `{"title":"t","description":"d"}`
			for i := 0; i < 30; i++ {
				if a := s.call(t, "", "POST", "/api/v1/public/vdp/reports", body, "X-Forwarded-For", "198.51.100.1"); a.code != 201 {
					t.Fatalf("submission %d: %d %s", i+1, a.code, a.raw)
				}
			}
			a := s.call(t, "", "POST", "/api/v1/public/vdp/reports", body, "X-Forwarded-For", "198.51.100.1")
			if a.code != 429 || a.header.Get("Retry-After") != "2" || a.body["error"].(map[string]any)["code"] != "rate_limited" {
				t.Fatalf("31st submission: %d %q %s", a.code, a.header.Get("Retry-After"), a.raw)
			}
			other := s.call(t, "", "POST", "/api/v1/public/vdp/reports", body, "X-Forwarded-For", "198.51.100.2")
			if trust && other.code != 201 {
				t.Fatalf("another client behind the proxy was limited: %d", other.code)
			}
			if !trust && other.code != 429 {
				t.Fatalf("an untrusted X-Forwarded-For escaped the limit: %d", other.code)
			}
		})
	}
}

// TestResearcherAndTriageOverHTTP: researchers see only their own reports;
// an accepted report becomes a finding of its agency, which another agency
// cannot see; a reward needs two different people.
func TestResearcherAndTriageOverHTTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db, nil)
		// The researchers were made by an administrator, who vouched for
		// their addresses; they have a profile (accounts.OnCreate).
		a := s.call(t, "researcher", "POST", "/api/v1/reports", map[string]any{"title": "SQLi", "description": "id=1'", "affected_url": "https://healthhub.example.sg/a?id=1", "severity": "high"})
		if a.code != 201 {
			t.Fatalf("researcher submit: %d %s", a.code, a.raw)
		}
		id := a.body["tracking_id"].(string)
		if r := s.call(t, "researcher2", "GET", "/api/v1/reports/"+id, nil); r.code != 404 {
			t.Fatalf("another researcher reading the report: %d", r.code)
		}
		if r := s.call(t, "researcher2", "GET", "/api/v1/reports", nil); r.code != 200 || len(r.body["items"].([]any)) != 0 {
			t.Fatalf("another researcher's list: %s", r.raw)
		}
		if r := s.call(t, "researcher", "POST", "/api/v1/reports/"+id+"/transitions", `{"status":"accepted","reason":"me"}`); r.code != 403 {
			t.Fatalf("researcher triaging: %d", r.code)
		}
		if r := s.call(t, "triager", "POST", "/api/v1/reports/"+id+"/transitions", `{"status":"accepted","reason":"Reproduced."}`); r.code != 200 || r.body["finding_id"] == "" {
			t.Fatalf("accept: %d %s", r.code, r.raw)
		}
		f := s.call(t, "a-member", "GET", "/api/v1/findings?source=vdp", nil)
		items := f.body["items"].([]any)
		if f.code != 200 || len(items) != 1 || items[0].(map[string]any)["agency"] != "MOH" || items[0].(map[string]any)["due_at"] == nil {
			t.Fatalf("agency's findings: %s", f.raw)
		}
		fid := items[0].(map[string]any)["id"].(string)
		if r := s.call(t, "b-member", "GET", "/api/v1/findings/"+fid, nil); r.code != 404 {
			t.Fatalf("another agency reading the finding: %d", r.code)
		}
		if r := s.call(t, "b-member", "GET", "/api/v1/findings?source=vdp", nil); len(r.body["items"].([]any)) != 0 {
			t.Fatalf("another agency lists it: %s", r.raw)
		}
		// Reward: a VDP report has no reward table.
		if r := s.call(t, "triager", "POST", "/api/v1/reports/"+id+"/rewards", `{}`); r.code != 400 {
			t.Fatalf("reward for a VDP report: %d %s", r.code, r.raw)
		}
	})
}

func TestRewardTwoPeopleOverHTTP(t *testing.T) {
	s := newServer(t, storetest.Open(t, store.SQLite), nil)
	p := s.call(t, "admin", "POST", "/api/v1/programmes", map[string]any{"slug": "vrp", "kind": "vrp", "name": "VRP", "access": "open",
		"reward_table": map[string]any{"currency": "USD", "amounts": map[string]int{"high": 1000}}})
	if p.code != 201 {
		t.Fatalf("programme: %d %s", p.code, p.raw)
	}
	a := s.call(t, "researcher", "POST", "/api/v1/reports", map[string]any{"programme": "vrp", "title": "t", "description": "d", "severity": "high", "system_id": s.sysA.ID})
	id := a.body["tracking_id"].(string)
	s.call(t, "triager", "POST", "/api/v1/reports/"+id+"/transitions", `{"status":"accepted","reason":"ok"}`)
	rw := s.call(t, "admin", "POST", "/api/v1/reports/"+id+"/rewards", `{"reason":"valid"}`)
	if rw.code != 201 || rw.body["amount"] != 1000.0 {
		t.Fatalf("propose: %d %s", rw.code, rw.raw)
	}
	rid := rw.body["id"].(string)
	if r := s.call(t, "admin", "POST", "/api/v1/rewards/"+rid+"/decision", `{"approve":true}`); r.code != 409 || r.body["error"].(map[string]any)["code"] != "two_person_rule" {
		t.Fatalf("self-approval: %d %s", r.code, r.raw)
	}
	if r := s.call(t, "admin2", "POST", "/api/v1/rewards/"+rid+"/decision", `{"approve":true}`); r.code != 409 || r.body["error"].(map[string]any)["code"] != "researcher_totp_required" {
		t.Fatalf("approval without the researcher's TOTP: %d %s", r.code, r.raw)
	}
	ctx := context.Background()
	s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = $1 WHERE id = $2`, true, s.ids["researcher"])
		return err
	})
	if r := s.call(t, "admin2", "POST", "/api/v1/rewards/"+rid+"/decision", `{"approve":true}`); r.code != 200 || r.body["status"] != "approved" {
		t.Fatalf("approval: %d %s", r.code, r.raw)
	}
	csv := s.call(t, "admin", "GET", "/api/v1/rewards/export.csv", nil)
	if csv.code != 200 || !strings.Contains(string(csv.raw), id) || csv.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %s", csv.code, csv.raw)
	}
	if r := s.call(t, "researcher", "GET", "/api/v1/rewards", nil); r.code != 200 || len(r.body["items"].([]any)) != 1 {
		t.Fatalf("researcher's ledger: %s", r.raw)
	}
}

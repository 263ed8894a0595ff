package contain_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"github.com/kubu-gov/kubu/internal/webhook"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/contain/guard"
	"github.com/kubu-gov/kubu/internal/contain/scim/scimtest"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

var (
	root     = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}
	analyst1 = authz.Actor{UserID: "u-analyst1", Email: "a1@gov.example", Role: authz.Analyst}
	analyst2 = authz.Actor{UserID: "u-analyst2", Email: "a2@gov.example", Role: authz.Analyst}
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	db       *store.DB
	al       *audit.Log
	clock    *clock
	agencies map[string]string
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ring, err := keys.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, al: audit.New(db, ring), clock: &clock{t: time.Now().UTC()}, agencies: map[string]string{}}
	reg := registry.New(db, e.al)
	for _, code := range []string{"MOH", "MOE"} {
		ag, err := reg.CreateAgency(context.Background(), root, registry.NewAgency{Code: code, Name: "Ministry " + code})
		if err != nil {
			t.Fatal(err)
		}
		e.agencies[code] = ag.ID
	}
	return e
}

func (e *env) service(opts contain.Options) *contain.Service {
	opts.Now = e.clock.Now
	return contain.New(e.db, e.al, opts)
}

// count counts rows matching a query.
func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditCodes(t *testing.T, db *store.DB, target string) []string {
	t.Helper()
	rows, err := db.R().QueryContext(context.Background(), `SELECT code FROM audit_log WHERE target_type = 'containment' AND target_id = $1 ORDER BY seq`, target)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		out = append(out, c)
	}
	return out
}

func TestRequestApproveRevoke(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := e.service(contain.Options{})
		ctx := context.Background()
		v0, _ := s.Version(ctx)
		act, _, err := s.Create(ctx, analyst1, contain.Request{Type: "ip", Value: "203.0.113.7", TTL: "24h", Reason: "C2 beacon"})
		if err != nil {
			t.Fatal(err)
		}
		if act.Status != contain.StatusPending || act.Value != "203.0.113.7" || act.Requester != "a1@gov.example" {
			t.Fatalf("created %+v", act)
		}
		if blocks, _ := s.Active(ctx); len(blocks) != 0 {
			t.Fatalf("a pending action is published: %v", blocks)
		}
		if v, _ := s.Version(ctx); v != v0 {
			t.Fatalf("version moved on a pending request: %d → %d", v0, v)
		}
		// The requester cannot approve: a conflict, and nothing changes.
		if _, err := s.Approve(ctx, analyst1, act.ID); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("self-approval: %v, want a conflict", err)
		}
		got, _ := s.Get(ctx, root, act.ID)
		if got.Status != contain.StatusPending {
			t.Fatalf("after self-approval: %s", got.Status)
		}
		approved, err := s.Approve(ctx, analyst2, act.ID)
		if err != nil {
			t.Fatal(err)
		}
		if approved.Status != contain.StatusActive || approved.Approver != "a2@gov.example" || !approved.ExpiresAt.Equal(approved.ActivatedAt.Add(24*time.Hour)) {
			t.Fatalf("approved %+v", approved)
		}
		if _, err := s.Approve(ctx, root, act.ID); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("approving an active action: %v", err)
		}
		blocks, _ := s.Active(ctx)
		if len(blocks) != 1 || blocks[0].Type != "ip" || blocks[0].Value != "203.0.113.7" {
			t.Fatalf("active blocks %v", blocks)
		}
		v1, _ := s.Version(ctx)
		if v1 <= v0 {
			t.Fatal("approval did not move the version")
		}
		revoked, err := s.Revoke(ctx, analyst1, act.ID)
		if err != nil || revoked.Status != contain.StatusRevoked || revoked.EndedBy != analyst1.UserID {
			t.Fatalf("revoke: %+v %v", revoked, err)
		}
		if blocks, _ := s.Active(ctx); len(blocks) != 0 {
			t.Fatalf("revoked block still published: %v", blocks)
		}
		if v2, _ := s.Version(ctx); v2 <= v1 {
			t.Fatal("revocation did not move the version")
		}
		if _, err := s.Revoke(ctx, analyst1, act.ID); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("revoking twice: %v", err)
		}
		want := []string{contain.Requested.ID, contain.Approved.ID, contain.Revoked.ID}
		if got := auditCodes(t, db, act.ID); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("audit trail %v, want %v", got, want)
		}
	})
}

func TestDryRunChangesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := e.service(contain.Options{})
		ctx := context.Background()
		before := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		v0, _ := s.Version(ctx)
		act, d, err := s.Create(ctx, analyst1, contain.Request{Type: "domain", Value: "Evil.Example.", TTL: "7d", Reason: "phishing", DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if act.ID != "" || d == nil || !d.DryRun || d.Value != "evil.example" || d.Status != contain.StatusPending {
			t.Fatalf("dry run: %+v %+v", act, d)
		}
		wheres := map[string]bool{}
		for _, c := range d.Changes {
			wheres[c.Where] = true
		}
		if !wheres["edl/domain.txt"] || !wheres["rpz"] || len(d.Changes) != 2 {
			t.Fatalf("changes %+v", d.Changes)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM containment_actions`); n != 0 {
			t.Fatalf("dry run stored %d actions", n)
		}
		if after := count(t, db, `SELECT COUNT(*) FROM audit_log`); after != before {
			t.Fatalf("dry run wrote %d audit entries", after-before)
		}
		if v, _ := s.Version(ctx); v != v0 {
			t.Fatal("dry run moved the version")
		}
		// With the same block already active, nothing would change.
		a, _, _ := s.Create(ctx, analyst1, contain.Request{Type: "domain", Value: "evil.example", TTL: "1h", Reason: "x"})
		s.Approve(ctx, analyst2, a.ID)
		_, d, _ = s.Create(ctx, analyst1, contain.Request{Type: "domain", Value: "EVIL.example", TTL: "1h", Reason: "y", DryRun: true})
		if len(d.Changes) != 0 || len(d.AlreadyActive) != 1 || d.AlreadyActive[0] != a.ID {
			t.Fatalf("dry run of an active block: %+v", d)
		}
	})
}

func TestGuardRailsAndBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		al, _ := guard.ParseAllowList(bytes.NewBufferString("192.0.2.53\ngov.example\n"))
		s := e.service(contain.Options{Guard: &guard.Policy{Own: []netip.Prefix{netip.MustParsePrefix("198.51.100.10/32")},
			OwnDomains: []string{"kubu.gov.example"}, Allow: al}})
		ctx := context.Background()
		refused := []contain.Request{
			{Type: "ip", Value: "198.51.100.10"},   // own
			{Type: "ip", Value: "192.0.2.53"},      // allow-listed resolver
			{Type: "domain", Value: "gov.example"}, // allow-listed
			{Type: "domain", Value: "kubu.gov.example"},
			{Type: "cidr", Value: "10.0.0.0/8"}, // private, too wide
			{Type: "ip", Value: "127.0.0.1"},    // loopback
			{Type: "domain", Value: "com"},      // public suffix
		}
		for _, r := range refused {
			r.TTL, r.Reason = "1h", "test"
			_, _, err := s.Create(ctx, analyst1, r)
			var re *contain.RefusedError
			if !errors.As(err, &re) || re.Reason == "" {
				t.Errorf("%s %s: %v, want a refusal with a reason", r.Type, r.Value, err)
			}
		}
		bad := []contain.Request{
			{Type: "ip", Value: "300.1.1.1", TTL: "1h", Reason: "x"},
			{Type: "ip", Value: "203.0.113.0/24", TTL: "1h", Reason: "x"}, // a range as ip
			{Type: "printer", Value: "x", TTL: "1h", Reason: "x"},
			{Type: "ip", Value: "203.0.113.9", TTL: "forever", Reason: "x"},
			{Type: "ip", Value: "203.0.113.9", TTL: "1s", Reason: "x"},
			{Type: "ip", Value: "203.0.113.9", TTL: "1h"},
			{Type: "account", Value: "bob", TTL: "1h", Reason: "x"}, // no SCIM configured
		}
		for _, r := range bad {
			if _, _, err := s.Create(ctx, analyst1, r); err == nil {
				t.Errorf("%+v accepted", r)
			} else if _, ok := validate.As(err); !ok {
				t.Errorf("%+v: %v, want field errors", r, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM containment_actions`); n != 0 {
			t.Fatalf("%d refused actions stored", n)
		}
	})
}

func TestAgencyScope(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := e.service(contain.Options{})
		ctx := context.Background()
		mohAdmin := authz.Actor{UserID: "u-moh-admin", Email: "admin@moh", Role: authz.AgencyAdmin, AgencyID: e.agencies["MOH"]}
		mohMember := authz.Actor{UserID: "u-moh-member", Role: authz.AgencyMember, AgencyID: e.agencies["MOH"]}
		moeMember := authz.Actor{UserID: "u-moe-member", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		act, _, err := s.Create(ctx, mohAdmin, contain.Request{Type: "url", Value: "HTTP://Phish.example/login?x=1#frag", TTL: "2h", Reason: "phishing kit"})
		if err != nil {
			t.Fatal(err)
		}
		if act.AgencyID != e.agencies["MOH"] || act.Value != "http://phish.example/login?x=1" {
			t.Fatalf("agency request %+v", act)
		}
		if _, err := s.Get(ctx, mohMember, act.ID); err != nil {
			t.Fatalf("MOH member reading MOH's action: %v", err)
		}
		if _, err := s.Get(ctx, moeMember, act.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("MOE member reading MOH's action: %v", err)
		}
		if _, _, err := s.Create(ctx, mohMember, contain.Request{Type: "ip", Value: "203.0.113.5", TTL: "1h", Reason: "x"}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("member requesting: %v", err)
		}
		if _, err := s.Approve(ctx, mohAdmin, act.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("agency admin approving: %v", err)
		}
		page, _ := s.List(ctx, moeMember, contain.Filter{})
		if len(page.Items) != 0 {
			t.Fatalf("MOE member lists %v", page.Items)
		}
		page, _ = s.List(ctx, mohMember, contain.Filter{Statuses: []string{"pending"}})
		if len(page.Items) != 1 {
			t.Fatalf("MOH member lists %v", page.Items)
		}
		if _, err := s.Approve(ctx, analyst1, act.ID); err != nil {
			t.Fatal(err)
		}
		page, _ = s.List(ctx, root, contain.Filter{ExpiringWithin: 3 * time.Hour})
		if len(page.Items) != 1 {
			t.Fatalf("expiring soon: %v", page.Items)
		}
		page, _ = s.List(ctx, root, contain.Filter{ExpiringWithin: time.Hour})
		if len(page.Items) != 0 {
			t.Fatalf("expiring within the hour: %v", page.Items)
		}
	})
}

func TestOnePerson(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := e.service(contain.Options{OnePerson: true})
		act, _, err := s.Create(context.Background(), analyst1, contain.Request{Type: "cidr", Value: "203.0.113.0/24", TTL: "1h", Reason: "scanner"})
		if err != nil || act.Status != contain.StatusActive {
			t.Fatalf("%+v %v", act, err)
		}
		if got := auditCodes(t, db, act.ID); len(got) != 1 || got[0] != contain.Activated.ID {
			t.Fatalf("audit %v", got)
		}
	})
}

// TestExpiryOnce runs the expiry job from two services (two nodes) at
// once: each expiry happens, and is audited, exactly once.
func TestExpiryOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s1, s2 := e.service(contain.Options{}), e.service(contain.Options{})
		ctx := context.Background()
		var ids []string
		for i, v := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"} {
			a, _, err := s1.Create(ctx, analyst1, contain.Request{Type: "ip", Value: v, TTL: "10m", Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if i < 3 {
				if _, err := s1.Approve(ctx, analyst2, a.ID); err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, a.ID)
		}
		if n, _ := s1.Expire(ctx); n != 0 {
			t.Fatalf("expired %d before their time", n)
		}
		e.clock.Add(10*time.Minute + time.Millisecond)
		if blocks, _ := s1.Active(ctx); len(blocks) != 0 {
			t.Fatalf("blocks past their expiry are published: %v", blocks)
		}
		var wg sync.WaitGroup
		var n1, n2 int
		wg.Add(2)
		go func() { defer wg.Done(); n1, _ = s1.Expire(ctx) }()
		go func() { defer wg.Done(); n2, _ = s2.Expire(ctx) }()
		wg.Wait()
		if n1+n2 != 4 {
			t.Fatalf("expired %d + %d, want 4 in all", n1, n2)
		}
		for i, id := range ids {
			a, _ := s1.Get(ctx, root, id)
			if a.Status != contain.StatusExpired || a.EndedBy != "system" {
				t.Fatalf("action %d: %+v", i, a)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE code = $1 AND target_id = $2`, contain.Expired.ID, id); n != 1 {
				t.Fatalf("action %d audited as expired %d times", i, n)
			}
		}
	})
}

// tl records timeline entries, as the incident package would.
type tl struct {
	mu      sync.Mutex
	entries []string
}

func (t *tl) AddTimelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, kind, actor, text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if incidentID == "missing" {
		return authz.ErrNotFound
	}
	t.entries = append(t.entries, incidentID+" "+kind+" "+actor+": "+text)
	return nil
}

func TestTimeline(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		w := &tl{}
		s := e.service(contain.Options{Timeline: w})
		ctx := context.Background()
		a, _, err := s.Create(ctx, analyst1, contain.Request{Type: "domain", Value: "evil.example", TTL: "1h", Reason: "C2", IncidentID: "inc1"})
		if err != nil {
			t.Fatal(err)
		}
		s.Approve(ctx, analyst2, a.ID)
		s.Revoke(ctx, analyst2, a.ID)
		if len(w.entries) != 3 || w.entries[0] != "inc1 containment a1@gov.example: Containment requested: block domain evil.example for 1h0m0s (C2)" {
			t.Fatalf("timeline %q", w.entries)
		}
		_, _, err = s.Create(ctx, analyst1, contain.Request{Type: "domain", Value: "evil.example", TTL: "1h", Reason: "C2", IncidentID: "missing"})
		if v, ok := validate.As(err); !ok || v[0].Field != "incident_id" {
			t.Fatalf("missing incident: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM containment_actions`); n != 1 {
			t.Fatalf("%d actions stored", n)
		}
	})
}

func TestAccountDisableAndRevoke(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		idp := scimtest.New(t, map[string]string{"bjensen@agency.example": "2819c223"})
		s := e.service(contain.Options{SCIM: idp.Client()})
		ctx := context.Background()
		a, _, err := s.Create(ctx, analyst1, contain.Request{Type: "account", Value: "bjensen@agency.example", TTL: "4h", Reason: "credential theft"})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Sync(ctx); n != 0 || len(idp.Patches()) != 0 {
			t.Fatal("a pending request called the identity provider")
		}
		if _, err := s.Approve(ctx, analyst2, a.ID); err != nil {
			t.Fatal(err)
		}
		idp.FailNext(1) // a temporary failure is retried
		if n, err := s.Sync(ctx); n != 1 || err != nil {
			t.Fatalf("sync: %d %v", n, err)
		}
		got, _ := s.Get(ctx, root, a.ID)
		if got.Connector == nil || got.Connector.State != "apply" || got.Connector.Attempts != 1 || got.Connector.Error == "" {
			t.Fatalf("after a failed call: %+v", got.Connector)
		}
		e.clock.Add(10 * time.Second)
		if n, err := s.Sync(ctx); n != 1 || err != nil {
			t.Fatalf("retry: %d %v", n, err)
		}
		p := idp.Patches()
		if len(p) != 1 || p[0].UserID != "2819c223" || p[0].Active || idp.Active("2819c223") {
			t.Fatalf("patches %+v", p)
		}
		if _, err := s.Revoke(ctx, analyst1, a.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Sync(ctx); n != 1 || err != nil {
			t.Fatalf("sync after revoke: %d %v", n, err)
		}
		p = idp.Patches()
		if len(p) != 2 || p[1].UserID != "2819c223" || !p[1].Active || !idp.Active("2819c223") {
			t.Fatalf("patches %+v", p)
		}
		got, _ = s.Get(ctx, root, a.ID)
		if got.Connector.State != "released" {
			t.Fatalf("connector %+v", got.Connector)
		}
		codes := auditCodes(t, db, a.ID)
		want := []string{contain.Requested.ID, contain.Approved.ID, contain.ConnectorDone.ID, contain.Revoked.ID, contain.ConnectorDone.ID}
		if len(codes) != len(want) {
			t.Fatalf("audit %v, want %v", codes, want)
		}
		for i := range want {
			if codes[i] != want[i] {
				t.Fatalf("audit %v, want %v", codes, want)
			}
		}

		// An unknown account fails at once, recorded, never retried.
		b, _, _ := s.Create(ctx, analyst1, contain.Request{Type: "account", Value: "nobody@agency.example", TTL: "1h", Reason: "x"})
		s.Approve(ctx, analyst2, b.ID)
		s.Sync(ctx)
		got, _ = s.Get(ctx, root, b.ID)
		if got.Connector.State != "failed" || got.Connector.Error == "" {
			t.Fatalf("unknown account: %+v", got.Connector)
		}
		if codes := auditCodes(t, db, b.ID); codes[len(codes)-1] != contain.ConnectorFailed.ID {
			t.Fatalf("audit %v", codes)
		}
	})
}

// TestWebhook: a SOAR receiver gets signed deliveries when a block becomes
// active and when it ends.
func TestWebhook(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		secret := []byte("soar-shared-secret")
		var mu sync.Mutex
		var got []contain.WebhookEvent
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := webhook.VerifyRequest(r, 1<<20, 0, nil, secret)
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			var ev contain.WebhookEvent
			json.Unmarshal(body, &ev)
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		}))
		defer srv.Close()
		s := e.service(contain.Options{Webhook: &webhook.Sender{URL: srv.URL, Secret: secret}})
		ctx := context.Background()
		a, _, _ := s.Create(ctx, analyst1, contain.Request{Type: "ip", Value: "203.0.113.77", TTL: "1h", Reason: "x"})
		s.Approve(ctx, analyst2, a.ID)
		s.Sync(ctx)
		e.clock.Add(time.Hour)
		if n, _ := s.Expire(ctx); n != 1 {
			t.Fatal("not expired")
		}
		s.Sync(ctx)
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 2 || got[0].Event != "containment.activated" || got[1].Event != "containment.ended" ||
			got[0].Action.Value != "203.0.113.77" || got[1].Action.Status != "expired" {
			t.Fatalf("deliveries %+v", got)
		}
	})
}

package feeds_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/feeds"
	"github.com/kubu-gov/kubu/internal/intel/edl"
	"github.com/kubu-gov/kubu/internal/intel/rpz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

var (
	root     = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}
	analyst1 = authz.Actor{UserID: "u-analyst1", Email: "a1@gov.example", Role: authz.Analyst}
	analyst2 = authz.Actor{UserID: "u-analyst2", Email: "a2@gov.example", Role: authz.Analyst}
)

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

func setup(t *testing.T, db *store.DB) (*contain.Service, *audit.Log, *clock) {
	ring, _ := keys.New(bytes.Repeat([]byte{3}, 32))
	al := audit.New(db, ring)
	c := &clock{t: time.Now().UTC()}
	return contain.New(db, al, contain.Options{Now: c.Now}), al, c
}

func block(t *testing.T, c *contain.Service, typ, value, ttl string) string {
	t.Helper()
	ctx := context.Background()
	a, _, err := c.Create(ctx, analyst1, contain.Request{Type: typ, Value: value, TTL: ttl, Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Approve(ctx, analyst2, a.ID); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func TestTokens(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c, al, _ := setup(t, db)
		s := feeds.New(db, al, c, feeds.Options{})
		ctx := context.Background()
		if _, _, err := s.CreateToken(ctx, analyst1, "fw"); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("analyst creating a feed token: %v", err)
		}
		secret, tok, err := s.CreateToken(ctx, root, "palo-alto-hq")
		if err != nil || !strings.HasPrefix(secret, feeds.TokenPrefix) {
			t.Fatalf("%q %v", secret, err)
		}
		if got, err := s.Authenticate(ctx, secret); err != nil || got.ID != tok.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		for _, bad := range []string{"", "kubu_feed_nope", secret + "x", "kubu_" + strings.TrimPrefix(secret, feeds.TokenPrefix)} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, feeds.ErrBadToken) {
				t.Errorf("%q: %v", bad, err)
			}
		}
		list, _ := s.Tokens(ctx, analyst1)
		if len(list) != 1 || list[0].LastUsedAt == nil {
			t.Fatalf("tokens %+v", list)
		}
		if err := s.RevokeToken(ctx, root, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, feeds.ErrBadToken) {
			t.Fatalf("revoked token: %v", err)
		}
		var stored string
		db.R().QueryRowContext(ctx, `SELECT token_hash FROM feed_tokens`).Scan(&stored)
		if strings.Contains(stored, strings.TrimPrefix(secret, feeds.TokenPrefix)) || len(stored) != 64 {
			t.Fatalf("the token is not stored hashed: %q", stored)
		}
	})
}

// TestListsFollowChanges runs the refresher as serve does and waits for
// each change to show: activation, revocation, and expiry (by the clock,
// before any expiry job ran).
func TestListsFollowChanges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c, al, clk := setup(t, db)
		zone, err := rpz.New(rpz.Config{Zone: "rpz.kubu.", Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		s := feeds.New(db, al, c, feeds.Options{RPZ: zone, Poll: 20 * time.Millisecond, Now: clk.Now})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go s.Run(ctx)
		list := func(k edl.Kind) string {
			b, err := s.EDL(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for %s", what)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		ip := block(t, c, "ip", "203.0.113.9", "1h")
		block(t, c, "cidr", "198.51.100.0/24", "2h")
		block(t, c, "domain", "Evil.Example", "2h")
		block(t, c, "url", "https://phish.example/login", "2h")
		waitFor("the blocks", func() bool {
			return list(edl.IP) == "198.51.100.0/24\n203.0.113.9\n" && list(edl.Domain) == "evil.example\n*.evil.example\n" &&
				list(edl.URL) == "phish.example/login\n"
		})
		waitFor("the zone", func() bool { return slices.Equal(zone.Names(), []string{"evil.example"}) })
		serial := zone.Serial()
		if _, err := c.Revoke(context.Background(), analyst1, ip); err != nil {
			t.Fatal(err)
		}
		waitFor("the revocation", func() bool { return list(edl.IP) == "198.51.100.0/24\n" })
		clk.Add(2*time.Hour + time.Second) // past every expiry; no job has run
		waitFor("the expiry", func() bool { return list(edl.IP) == "" && list(edl.Domain) == "" && list(edl.URL) == "" })
		waitFor("the zone to empty", func() bool { return len(zone.Names()) == 0 })
		if zone.Serial() == serial {
			t.Fatal("the zone changed but its serial did not")
		}
	})
}

// TestTwoNodes: two nodes on one database (two connections, two feed
// services, each with its own zone) both publish a block approved on
// either, and both drop it when it is revoked, by polling the version.
func TestTwoNodes(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			opts := storetest.Options(t, e)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db1, db2 := open(), open()
			ring, _ := keys.New(bytes.Repeat([]byte{3}, 32))
			var nodes []*feeds.Service
			var zones []*rpz.Server
			var services []*contain.Service
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, db := range []*store.DB{db1, db2} {
				al := audit.New(db, ring)
				c := contain.New(db, al, contain.Options{})
				zone, err := rpz.New(rpz.Config{Zone: "rpz.kubu.", Addr: "127.0.0.1:0"})
				if err != nil {
					t.Fatal(err)
				}
				f := feeds.New(db, al, c, feeds.Options{RPZ: zone, Poll: 50 * time.Millisecond})
				go f.Run(ctx)
				nodes, zones, services = append(nodes, f), append(zones, zone), append(services, c)
			}
			a, _, err := services[0].Create(context.Background(), analyst1, contain.Request{Type: "domain", Value: "two-nodes.example", TTL: "1h", Reason: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := services[1].Approve(context.Background(), analyst2, a.ID); err != nil {
				t.Fatal(err)
			}
			both := func(want string, names int) func() bool {
				return func() bool {
					for i, n := range nodes {
						b, _ := n.EDL(context.Background(), edl.Domain)
						if string(b) != want || len(zones[i].Names()) != names {
							return false
						}
					}
					return true
				}
			}
			waitUntil(t, "both nodes publishing", 5*time.Second, both("two-nodes.example\n*.two-nodes.example\n", 1))
			if _, err := services[0].Revoke(context.Background(), analyst1, a.ID); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "both nodes dropping it", 5*time.Second, both("", 0))
		})
	}
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

package incident_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a real database with three agencies (MOH, MOE, MOF), a system in
// MOH and MOE, and a user of each role.
type env struct {
	db       *store.DB
	log      *audit.Log
	ring     *keys.Ring
	reg      *registry.Registry
	findings *findings.Service
	svc      *incident.Service
	clock    *fakeClock
	agency   map[string]registry.Agency
	system   map[string]registry.System
	// actors
	admin, analyst, triager, researcher authz.Actor
	mohMember, mohAdmin, moeMember      authz.Actor
	mofMember                           authz.Actor
}

// start is the fake clock's first reading: now (alert ids carry the real time,
// and lists walk them by it).
var start = time.Now().UTC().Truncate(time.Minute)

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	ring, _ := keys.New(bytes.Repeat([]byte{7}, 32))
	e := &env{db: db, ring: ring, log: audit.New(db, ring), clock: &fakeClock{t: start}, agency: map[string]registry.Agency{}, system: map[string]registry.System{}}
	e.reg = registry.New(db, e.log)
	e.findings = findings.New(db, e.log, e.reg)
	root := authz.Actor{UserID: "root", Email: "root", Role: authz.WogAdmin}
	for _, c := range []string{"MOH", "MOE", "MOF"} {
		ag, err := e.reg.CreateAgency(ctx, root, registry.NewAgency{Code: c, Name: "Ministry " + c})
		if err != nil {
			t.Fatal(err)
		}
		e.agency[c] = ag
	}
	for _, c := range []string{"MOH", "MOE"} {
		name, hosts := c+" Portal", []string{"portal." + c + ".example"}
		s, err := e.reg.CreateSystem(ctx, root, registry.SystemInput{Agency: c, Name: &name, Hostnames: &hosts})
		if err != nil {
			t.Fatal(err)
		}
		e.system[c] = s
	}
	e.admin = e.user(t, "admin@example.gov", authz.WogAdmin, "")
	e.analyst = e.user(t, "analyst@example.gov", authz.Analyst, "")
	e.triager = e.user(t, "triager@example.gov", authz.Triager, "")
	e.researcher = e.user(t, "r@example.com", authz.Researcher, "")
	e.mohMember = e.user(t, "member@moh.example", authz.AgencyMember, "MOH")
	e.mohAdmin = e.user(t, "admin@moh.example", authz.AgencyAdmin, "MOH")
	e.moeMember = e.user(t, "member@moe.example", authz.AgencyMember, "MOE")
	e.mofMember = e.user(t, "member@mof.example", authz.AgencyMember, "MOF")
	e.svc = incident.New(db, e.log, e.reg, e.findings, incident.Options{Now: e.clock.Now, Log: quiet})
	if err := e.svc.EnsurePlaybooks(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// user inserts an account (no password: these tests act through the
// services, not sign-in).
func (e *env) user(t testing.TB, email string, role authz.Role, agency string) authz.Actor {
	t.Helper()
	uid := id.New()
	var ag any
	if agency != "" {
		ag = e.agency[agency].ID
	}
	err := e.db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (id, email, role, agency_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5)`, uid, email, string(role), ag, start.UnixMilli())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a := authz.Actor{UserID: uid, Email: email, Role: role}
	if agency != "" {
		a.AgencyID = e.agency[agency].ID
	}
	return a
}

// alert inserts an alert as detection would make it.
func (e *env) alert(t testing.TB, agency, level, title, host string, firstSeen time.Time, tags ...string) string {
	t.Helper()
	aid := id.New()
	agID, code := "", "unassigned"
	if agency != "" {
		agID, code = e.agency[agency].ID, agency
	}
	if tags == nil {
		tags = []string{}
	}
	tj, _ := json.Marshal(tags)
	gj, _ := json.Marshal(map[string]string{"host": host})
	rank := map[string]int{"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}[level]
	err := e.db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO alerts (id, rule_id, rule_title, level, level_rank, tags, agency_id, agency, kind, hunt_id, group_key,
			group_fields, status, first_seen, last_seen, event_count, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'detection','',$9,$9,'open',$10,$11,3,$12,$12)`,
			aid, "rule-"+title, title, level, rank, string(tj), agID, code, string(gj), firstSeen.UnixMilli(), firstSeen.Add(time.Minute).UnixMilli(),
			e.clock.Now().UnixMilli())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return aid
}

func ptr[T any](v T) *T { return &v }

// quiet drops the services' logs.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// event stores a matched event of an alert, as detection keeps the first ones.
func (e *env) event(t testing.TB, alertID, eventJSON string) {
	t.Helper()
	err := e.db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO alert_events (rule_id, event_id, hunt_id, alert_id, agency_id, event_time, event) VALUES ('r', $1, '', $2, '', $3, $4)`,
			id.New(), alertID, e.clock.Now().UnixMilli(), eventJSON)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Package testkit builds kubu's shared model for tests, so that every
// package's tests start from the same world instead of each writing its own
// builder: a database (from storetest: SQLite, and PostgreSQL when
// KUBU_TEST_DATABASE_URL is set), the secret ring, the audit log, the
// registry and two agencies, MOH and MOE. Domain services (findings,
// accounts, disclosure, detect, intake…) are built by each test on top of
// it, with the options the test is about.
package testkit

import (
	"bytes"
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Root is who the command line acts as: a wog-admin. Tests make the
// world's records as Root.
var Root = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}

// World is the shared model over one test database.
type World struct {
	DB       *store.DB
	Ring     *keys.Ring // from a fixed test key
	Audit    *audit.Log
	Registry *registry.Registry
	MOH, MOE registry.Agency // Ministry of Health, Ministry of Education
}

// Key is the master secret of every test world.
var Key = bytes.Repeat([]byte{7}, 32)

// New builds the world on db: the ring, the audit log, the registry and
// the agencies MOH and MOE.
func New(t testing.TB, db *store.DB) *World {
	t.Helper()
	ring, err := keys.New(Key)
	if err != nil {
		t.Fatal(err)
	}
	w := &World{DB: db, Ring: ring, Audit: audit.New(db, ring)}
	w.Registry = registry.New(db, w.Audit)
	ctx := context.Background()
	for _, ag := range []struct {
		into       *registry.Agency
		code, name string
	}{{&w.MOH, "MOH", "Ministry of Health"}, {&w.MOE, "MOE", "Ministry of Education"}} {
		if *ag.into, err = w.Registry.CreateAgency(ctx, Root, registry.NewAgency{Code: ag.code, Name: ag.name}); err != nil {
			t.Fatalf("testkit: agency %s: %v", ag.code, err)
		}
	}
	return w
}

// Agencies maps the world's agency codes to their ids.
func (w *World) Agencies() map[string]string {
	return map[string]string{"MOH": w.MOH.ID, "MOE": w.MOE.ID}
}

// Actor is an actor of role, in the agency with code (for agency roles;
// "" for others), with a made-up user id: for domain calls that need a
// caller, not an account.
func (w *World) Actor(role authz.Role, agency string) authz.Actor {
	a := authz.Actor{UserID: "u-" + string(role) + "-" + agency, Email: string(role) + "@" + agency + ".test.example", Role: role}
	if agency != "" {
		a.AgencyID = w.Agencies()[agency]
	}
	return a
}

// System registers a system of the agency with code (as Root) with the
// given hostnames, failing the test on error.
func (w *World) System(t testing.TB, agency, name string, hosts ...string) registry.System {
	t.Helper()
	if hosts == nil {
		hosts = []string{}
	}
	s, err := w.Registry.CreateSystem(context.Background(), Root, registry.SystemInput{Agency: agency, Name: &name, Hostnames: &hosts})
	if err != nil {
		t.Fatalf("testkit: system %s/%s: %v", agency, name, err)
	}
	return s
}

// Package storetest gives tests a fresh, migrated database on each engine:
// a SQLite file in a temporary directory always, and a fresh PostgreSQL
// schema when KUBU_TEST_DATABASE_URL is set (CI sets it; on a laptop without
// PostgreSQL those subtests skip with a clear message).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
)

// EnvVar names the PostgreSQL database the tests may create schemas in.
const EnvVar = "KUBU_TEST_DATABASE_URL"

// Engines runs fn once per available engine as a subtest named after it.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh migrated database of engine e, closed when the test
// ends. For PostgreSQL it skips the test when KUBU_TEST_DATABASE_URL is unset.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	opts := Options(t, e)
	db, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Options returns store options for a fresh database of engine e (a new
// temp dir, or a new PostgreSQL schema dropped when the test ends).
func Options(t testing.TB, e store.Engine) store.Options {
	t.Helper()
	if e == store.SQLite {
		return store.Options{DataDir: t.TempDir()}
	}
	return store.Options{URL: FreshPostgres(t)}
}

// FreshPostgres creates an empty schema in the KUBU_TEST_DATABASE_URL
// database and returns a URL whose connections use it; the schema is dropped
// when the test ends.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s is not set but KUBU_TEST_REQUIRE_SERVICES is: CI must run the PostgreSQL suite", EnvVar)
		}
		t.Skipf("skipping PostgreSQL: %s is not set (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test)", EnvVar)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema in %s: %v", EnvVar, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

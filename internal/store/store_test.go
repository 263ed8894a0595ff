package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

func TestMigrationsAgree(t *testing.T) {
	// Both engines carry the same migration versions with the same names.
	names := func(e string) []string {
		var out []string
		entries, err := fs.ReadDir(store.MigrationsFS(), "migrations/"+e)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range entries {
			out = append(out, x.Name())
		}
		return out
	}
	s, p := names("sqlite"), names("postgres")
	if strings.Join(s, ",") != strings.Join(p, ",") {
		t.Fatalf("sqlite migrations %v differ from postgres %v", s, p)
	}
	if store.SchemaVersion() < 1 {
		t.Fatal("no migrations found")
	}
}

func TestOpenAndTx(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, "k", "v1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// An error inside Tx rolls everything back.
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE key = $2`, "v2", "k"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want boom", err)
		}
		var v string
		if err := db.R().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, "k").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "v1" {
			t.Fatalf("value = %q after a rolled-back update, want v1", v)
		}
		// Unique violations are recognised on both engines.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)`, "k", "again")
			return err
		})
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate key gave %v, not recognised as a unique violation", err)
		}
		// Booleans and times round-trip.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, code, name, created_at) VALUES ($1,$2,$3,$4)`, "a1", "MOH", "Health", int64(1700000000000))
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO systems (id, agency_id, name, asset_type, criticality, internet_facing, data_classification, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8)`,
				"s1", "a1", "HealthHub", "web", "high", true, "official-closed", int64(1700000000000))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var facing bool
		var at int64
		if err := db.R().QueryRowContext(ctx, `SELECT internet_facing, created_at FROM systems WHERE id = $1`, "s1").Scan(&facing, &at); err != nil {
			t.Fatal(err)
		}
		if !facing || at != 1700000000000 {
			t.Fatalf("got internet_facing=%v created_at=%d", facing, at)
		}
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Pretend a newer kubu migrated this database.
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, $2)`, store.SchemaVersion()+1, true)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ReopenForTest(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("opening a newer schema gave %v, want ErrSchemaTooNew", err)
		}
	})
}

package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/kubu-gov/kubu/internal/store"
)

// At makes a fresh database of engine e migrated only up to schema
// version, for upgrade tests: it returns the raw connection (to write rows
// as that version did; close it before opening) and the options with which
// store.Open then runs the migrations since.
func At(t testing.TB, e store.Engine, version int64) (*sql.DB, store.Options) {
	t.Helper()
	opts := Options(t, e)
	driver, dsn, dialect := "pgx", opts.URL, goose.DialectPostgres
	if e == store.SQLite {
		driver, dsn, dialect = "sqlite", "file:"+filepath.Join(opts.DataDir, "kubu.db")+"?_pragma=foreign_keys(ON)", goose.DialectSQLite3
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	p, err := goose.NewProvider(dialect, raw, migrations(t, e), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatalf("migrate %s up to %d: %v", e, version, err)
	}
	return raw, opts
}

// VersionBefore is the schema version just before the migration whose file
// name ends in suffix (such as "_hostnames.sql"), found by name so that
// renumbering a migration does not break the test.
func VersionBefore(t testing.TB, e store.Engine, suffix string) int64 {
	t.Helper()
	entries, err := fs.ReadDir(migrations(t, e), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), suffix) {
			var n int64
			if _, err := fmt.Sscanf(en.Name(), "%d_", &n); err != nil {
				t.Fatal(err)
			}
			return n - 1
		}
	}
	t.Fatalf("no %s migration *%s", e, suffix)
	return 0
}

func migrations(t testing.TB, e store.Engine) fs.FS {
	sub, err := fs.Sub(store.MigrationsFS(), "migrations/"+string(e))
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

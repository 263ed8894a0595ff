package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// migrate applies the embedded migrations for the engine, refusing to touch
// a database whose schema is newer than this binary knows.
func (db *DB) migrate(ctx context.Context, log *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Engine))
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.Engine == Postgres {
		dialect = goose.DialectPostgres
		// Several kubu nodes may start at once: they queue on an
		// advisory lock (migrate_lock.go).
		opts = append(opts, goose.WithSessionLocker(newBlockingLocker()))
	}
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(dialect, db.w, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	known := SchemaVersion()
	if current > known {
		return fmt.Errorf("%w: the database is at schema version %d, this kubu knows up to %d; run a newer kubu", ErrSchemaTooNew, current, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion is the newest migration this binary carries (the same for
// both engines; a test checks they agree).
func SchemaVersion() int64 { return latest(SQLite) }

func latest(e Engine) int64 {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(e))
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var v int64
	for _, ent := range entries {
		var n int64
		if _, err := fmt.Sscanf(ent.Name(), "%d_", &n); err == nil && n > v {
			v = n
		}
	}
	return v
}

// MigrationsFS exposes the embedded migrations (for tests and docs).
func MigrationsFS() fs.FS { return migrations }

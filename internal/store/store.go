// Package store opens kubu's relational database — SQLite in the data dir by
// default, PostgreSQL when a URL is given — runs the embedded per-engine
// migrations with goose, and hands out read and write access.
//
// SQL is hand-written and shared by both engines wherever possible: both
// accept $N placeholders, ON CONFLICT upserts and RETURNING. The few
// differences live in Dialect. Times are stored as integer Unix milliseconds
// in both engines (see docs/design.md).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// Engine names a storage engine.
type Engine string

// The two engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options says where the database is.
type Options struct {
	DataDir string // SQLite file lives at DataDir/kubu.db when URL is empty
	URL     string // postgres://… selects PostgreSQL
	Logger  *slog.Logger
}

// DB is an open, migrated database.
type DB struct {
	Engine  Engine
	Dialect Dialect
	r       *sql.DB // reads (a pool)
	w       *sql.DB // writes (SQLite: one connection; PostgreSQL: the same pool as r)
}

// ErrSchemaTooNew is returned when the database was migrated by a newer kubu.
var ErrSchemaTooNew = errors.New("database schema is newer than this kubu")

// Open opens the database named by o and brings its schema up to date.
func Open(ctx context.Context, o Options) (*DB, error) {
	db, err := open(o)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx, o.Logger); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func open(o Options) (*DB, error) {
	if o.URL != "" {
		if !strings.HasPrefix(o.URL, "postgres://") && !strings.HasPrefix(o.URL, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (got %q)", redactURL(o.URL))
		}
		p, err := sql.Open("pgx", o.URL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		p.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
		p.SetMaxIdleConns(max(8, 4*runtime.GOMAXPROCS(0)))
		p.SetConnMaxIdleTime(5 * time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("connect to postgres %s: %w", redactURL(o.URL), err)
		}
		return &DB{Engine: Postgres, Dialect: postgresDialect, r: p, w: p}, nil
	}
	if o.DataDir == "" {
		return nil, errors.New("store: no data dir and no database URL")
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(o.DataDir, "kubu.db")
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Engine: SQLite, Dialect: sqliteDialect, r: r, w: w}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Querier is what both *sql.DB and *sql.Tx offer for reading.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// R returns the read pool. Never write through it.
func (db *DB) R() Querier { return db.r }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// Snapshot runs fn in one read-only transaction, so that every query fn
// makes sees the database as of one moment while other transactions commit
// beside it: a WAL read transaction on SQLite, REPEATABLE READ on
// PostgreSQL. Use it when several reads must agree with each other (the
// audit log's entries and its head, say).
func (db *DB) Snapshot(ctx context.Context, fn func(q Querier) error) error {
	var opts *sql.TxOptions
	if db.Engine == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback() // read only: nothing to commit
	return fn(tx)
}

// Tx runs fn in one write transaction, committing when it returns nil.
// SQLite write transactions begin IMMEDIATE on the single writer connection,
// so they never deadlock on lock upgrades.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	return u[:scheme+3] + "…" + u[at:]
}

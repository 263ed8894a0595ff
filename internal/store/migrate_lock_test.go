package store_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestMigrationLockWaitsOnTheLock: a node that finds the migration lock
// taken waits on the lock itself (an ungranted advisory lock in pg_locks),
// not in 5-second polling steps, and goes on once it is released; two
// nodes opening a fresh database at once both succeed.
func TestMigrationLockWaitsOnTheLock(t *testing.T) {
	url := storetest.FreshPostgres(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		db  *store.DB
		err error
	}
	opened := make(chan result, 2)
	for range 2 {
		go func() {
			db, err := store.Open(ctx, store.Options{URL: url})
			opened <- result{db, err}
		}()
	}
	// Both openers must show up as sessions waiting on the advisory lock.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND ((classid::bigint << 32) | objid::bigint) = $1`, lock.DefaultLockID).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= 2 {
			break
		}
		select {
		case r := <-opened:
			t.Fatalf("an open finished while the migration lock was held: err=%v", r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d sessions wait on the migration lock, want 2 (polling instead of waiting?)", waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	var dbs []*store.DB
	var mu sync.Mutex
	for range 2 {
		r := <-opened
		if r.err != nil {
			t.Fatalf("open after the lock was released: %v", r.err)
		}
		mu.Lock()
		dbs = append(dbs, r.db)
		mu.Unlock()
	}
	for _, db := range dbs {
		var v int64
		if err := db.R().QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != store.SchemaVersion() {
			t.Errorf("schema version %d, want %d", v, store.SchemaVersion())
		}
		db.Close()
	}
}

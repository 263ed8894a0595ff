package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// LockTx holds a lock named key until tx ends, so that transactions that
// check and then write the same rows (claims that must not overlap) run one
// at a time. On PostgreSQL it is a transaction advisory lock; on SQLite
// write transactions are serial already and it does nothing.
func (db *DB) LockTx(ctx context.Context, tx *sql.Tx, key string) error {
	if db.Engine != Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}

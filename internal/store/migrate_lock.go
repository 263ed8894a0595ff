package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pressly/goose/v3/lock"
)

// blockingLocker is goose's PostgreSQL session locker without the polling:
// goose's own tries pg_try_advisory_lock every 5 s, so nodes starting
// together waited in 5-second steps for the first to migrate. This one
// waits on the lock itself (pg_advisory_lock), so the next node goes on
// the moment the previous one releases it; ctx bounds the wait. The lock id
// is goose's, so older kubu binaries and this one exclude each other.
type blockingLocker struct{ id int64 }

var _ lock.SessionLocker = blockingLocker{}

func newBlockingLocker() blockingLocker { return blockingLocker{id: lock.DefaultLockID} }

func (l blockingLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, l.id); err != nil {
		return fmt.Errorf("wait for the migration lock: %w", err)
	}
	return nil
}

func (l blockingLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, l.id).Scan(&ok); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	if !ok {
		return errors.New("release the migration lock: this session did not hold it")
	}
	return nil
}

package store

import "context"

// ReopenForTest runs the migration check again on an open database.
func (db *DB) ReopenForTest(ctx context.Context) error { return db.migrate(ctx, nil) }

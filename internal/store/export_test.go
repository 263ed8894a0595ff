package store

import "context"

// ReopenForTest runs the migration check again on an open database.
func (db *DB) ReopenForTest(ctx context.Context) error { return db.migrate(ctx, nil) }

// SetKeepChunk makes List with Keep read n rows at a time until the test ends.
func SetKeepChunk(t interface{ Cleanup(func()) }, n int) {
	old := keepChunk
	keepChunk = n
	t.Cleanup(func() { keepChunk = old })
}

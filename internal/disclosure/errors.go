package disclosure

import "github.com/kubu-gov/kubu/internal/store"

// isUnique reports a unique-constraint violation on either engine.
func isUnique(err error) bool { return err != nil && store.IsUniqueViolation(err) }

package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Dialect holds the few SQL differences between the engines.
type Dialect struct {
	// ForUpdate is appended to a SELECT that must lock its rows until the
	// transaction ends ("" on SQLite, whose write transactions are serial).
	ForUpdate string
	// ILike is the case-insensitive LIKE operator.
	ILike string
}

var (
	sqliteDialect   = Dialect{ForUpdate: "", ILike: "LIKE"}
	postgresDialect = Dialect{ForUpdate: " FOR UPDATE", ILike: "ILIKE"}
)

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint violation on either engine.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == 2067 || c == 1555 // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// LikeEscape escapes s for use inside a LIKE pattern with ESCAPE '\'.
func LikeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

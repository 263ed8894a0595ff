package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// InsertPendingResearcher creates a researcher account inside the caller's
// transaction, disabled until its email address is verified (researchers
// register themselves, so no administrator is involved; the caller checks
// the input and writes the audit entry). It returns validate.ErrConflict
// when the email already has an account.
func InsertPendingResearcher(ctx context.Context, tx *sql.Tx, userID, email, name, password string, now time.Time) error {
	if err := checkPasswordRule(password); err != nil {
		return validate.Errors{{Field: "password", Message: err.Error()}}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, password_hash, disabled, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$7)`, userID, email, name, string(authz.Researcher), HashPassword(password), true, now.UnixMilli())
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("%w: an account with that email exists", validate.ErrConflict)
	}
	return err
}

// EnableTx turns on an account inside the caller's transaction (a
// researcher's, once their email address is verified).
func EnableTx(ctx context.Context, tx *sql.Tx, userID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, false, now.UnixMilli(), userID)
	return err
}

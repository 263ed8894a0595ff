package contain

import (
	"context"
	"database/sql"

	"github.com/kubu-gov/kubu/internal/audit"
)

// Expire ends every action whose time is up: active actions at their
// expiry, pending requests that lapsed unapproved. Each ends in its own
// transaction that re-reads it locked and re-checks it, so with several
// nodes running the job each expiry happens (and is audited) once. It
// returns how many this call ended.
func (s *Service) Expire(ctx context.Context) (int, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id FROM containment_actions WHERE status IN ('pending', 'active') AND expires_at <= $1
		ORDER BY expires_at LIMIT 500`, s.now().UnixMilli())
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done := false
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			cur, err := scanAction(tx.QueryRowContext(ctx, `SELECT `+actionCols+` FROM containment_actions WHERE id = $1`+s.db.Dialect.ForUpdate, id))
			if err != nil {
				return err
			}
			if (cur.Status != StatusPending && cur.Status != StatusActive) || cur.ExpiresAt.After(s.now()) {
				return nil // another node ended it, or it was approved since
			}
			_, err = s.end(ctx, tx, cur, StatusExpired, audit.System)
			done = err == nil
			return err
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

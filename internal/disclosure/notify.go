package disclosure

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
)

// Notification is an in-app notice for one user.
type Notification struct {
	ID        string     `json:"id"`
	ReportID  string     `json:"report_id,omitempty"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// notify stores an in-app notification for each user. Failures are
// logged: a notice must not undo the change it tells of.
func (s *Service) notify(ctx context.Context, userIDs []string, reportID, msg string) {
	if len(userIDs) == 0 {
		return
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, uid := range userIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, report_id, message, created_at) VALUES ($1,$2,$3,$4,$5)`,
				id.New(), uid, reportID, msg, s.stamp().UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("store notifications", "err", err)
	}
}

// Notifications lists the caller's notifications, newest first (at most
// 100), and how many are unread.
func (s *Service) Notifications(ctx context.Context, a authz.Actor) ([]Notification, int, error) {
	if !a.Authenticated() {
		return nil, 0, authz.ErrUnauthenticated
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, report_id, message, created_at, read_at FROM notifications WHERE user_id = $1
		ORDER BY id DESC LIMIT 100`, a.UserID)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Notification{}
	unread := 0
	for rows.Next() {
		var n Notification
		var created int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.ReportID, &n.Message, &created, &read); err != nil {
			return nil, 0, err
		}
		n.CreatedAt, n.ReadAt = time.UnixMilli(created).UTC(), timePtr(read)
		if n.ReadAt == nil {
			unread++
		}
		out = append(out, n)
	}
	return out, unread, rows.Err()
}

// MarkRead marks one of the caller's notifications read.
func (s *Service) MarkRead(ctx context.Context, a authz.Actor, notificationID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL`,
			s.stamp().UnixMilli(), notificationID, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE id = $1 AND user_id = $2`, notificationID, a.UserID).Scan(&exists)
			if err != nil {
				return err
			}
			if exists == 0 {
				return authz.ErrNotFound
			}
		}
		return nil
	})
}

func decodeList(s string) []string {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil
	}
	return out
}

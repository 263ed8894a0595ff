package contain

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// lockAction reads an action for change inside tx (locked on PostgreSQL;
// SQLite's write transactions are serial), after checking the caller may
// do act to it.
func (s *Service) lockAction(ctx context.Context, tx *sql.Tx, a authz.Actor, act authz.Action, id string) (Action, error) {
	if err := authz.Check(a, act, authz.Collection()); err != nil {
		return Action{}, err
	}
	cur, err := scanAction(tx.QueryRowContext(ctx, `SELECT `+actionCols+` FROM containment_actions WHERE id = $1`+s.db.Dialect.ForUpdate, id))
	if err != nil {
		return Action{}, err
	}
	if err := authz.Check(a, act, authz.Record(cur.AgencyID)); err != nil {
		return Action{}, err
	}
	return cur, nil
}

// Approve makes a pending action active, from now for its TTL. The
// approver must be someone other than the requester; approving one's own
// request, or an action that is not pending, is a conflict.
func (s *Service) Approve(ctx context.Context, a authz.Actor, id string) (Action, error) {
	var out Action
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockAction(ctx, tx, a, authz.ContainmentApprove, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusPending {
			return fmt.Errorf("%w: the action is %s, not pending", validate.ErrConflict, cur.Status)
		}
		if cur.RequestedBy == a.UserID {
			return fmt.Errorf("%w: a second person must approve: you requested this action", validate.ErrConflict)
		}
		now := s.stamp()
		sync := s.applyState(cur.Type)
		_, err = tx.ExecContext(ctx, `UPDATE containment_actions SET status = 'active', approved_by = $1, approver = $2, approved_at = $3,
			activated_at = $3, expires_at = $4, sync_state = $5, sync_next_at = $6, sync_attempts = 0, sync_error = '', updated_at = $3
			WHERE id = $7`, a.UserID, a.AuditActor().Label, now.UnixMilli(), now.Add(cur.ttl).UnixMilli(), sync, syncNext(sync, now), cur.ID)
		if err != nil {
			return err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		out = cur
		out.Status, out.ApprovedBy, out.Approver, out.ApprovedAt, out.ActivatedAt = StatusActive, a.UserID, a.AuditActor().Label, &now, &now
		out.ExpiresAt, out.UpdatedAt, out.Connector = now.Add(cur.ttl), now, nil
		if sync != syncNone {
			out.Connector = &Connector{State: sync}
		}
		return s.record(ctx, tx, Approved, a.AuditActor(), out, map[string]any{"status": cur.Status},
			fmt.Sprintf("Containment approved and active: %s %s until %s", verb(out.Type), out.Value, out.ExpiresAt.Format("2006-01-02 15:04 MST")))
	})
	return out, err
}

// Revoke ends a pending or active action now. An account that was
// disabled is enabled again (SCIM active:true) by the connector job.
func (s *Service) Revoke(ctx context.Context, a authz.Actor, id string) (Action, error) {
	var out Action
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockAction(ctx, tx, a, authz.ContainmentRequest, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusPending && cur.Status != StatusActive {
			return fmt.Errorf("%w: the action is %s already", validate.ErrConflict, cur.Status)
		}
		out, err = s.end(ctx, tx, cur, StatusRevoked, a.AuditActor())
		return err
	})
	return out, err
}

// end moves cur (locked in tx) to status (revoked or expired), queues the
// release of what its connectors applied, and records it.
func (s *Service) end(ctx context.Context, tx *sql.Tx, cur Action, status string, by audit.Actor) (Action, error) {
	now := s.stamp()
	sync := syncNone
	if cur.Connector != nil {
		sync = cur.Connector.State
	}
	if cur.Status == StatusActive && sync != syncNone {
		// Whatever was (or may have been) applied is released; a call in
		// flight finishes first and then finds the state moved on.
		sync = syncRelease
	}
	_, err := tx.ExecContext(ctx, `UPDATE containment_actions SET status = $1, ended_by = $2, ended_at = $3, sync_state = $4,
		sync_next_at = CASE WHEN $4 = 'release' THEN $3 ELSE sync_next_at END, sync_attempts = CASE WHEN $4 = 'release' THEN 0 ELSE sync_attempts END,
		updated_at = $3 WHERE id = $5`, status, by.ID, now.UnixMilli(), sync, cur.ID)
	if err != nil {
		return Action{}, err
	}
	if cur.Status == StatusActive {
		if err := bumpVersion(ctx, tx); err != nil {
			return Action{}, err
		}
	}
	out := cur
	out.Status, out.EndedBy, out.EndedAt, out.UpdatedAt = status, by.ID, &now, now
	if sync != syncNone {
		out.Connector = &Connector{State: sync}
	}
	code, word := Revoked, "revoked"
	if status == StatusExpired {
		code, word = Expired, "expired"
	}
	return out, s.record(ctx, tx, code, by, out, map[string]any{"status": cur.Status},
		fmt.Sprintf("Containment %s: %s %s", word, verb(out.Type), out.Value))
}

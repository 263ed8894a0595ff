package contain

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/contain/scim"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// syncClaim is how long a node holds an action while it calls out; a node
// that dies mid-call leaves it to be claimed again after this.
const syncClaim = 2 * time.Minute

// WebhookEvent is the body of a SOAR webhook delivery.
type WebhookEvent struct {
	Event  string `json:"event"` // containment.activated or containment.ended
	Action Action `json:"action"`
}

// Sync carries out the connector calls that are due: for actions that
// became active, SCIM active:false and the webhook's containment.activated;
// for those that ended, SCIM active:true and containment.ended. Each
// action is claimed by one node at a time; failures are retried with a
// growing delay and, after Options.SyncAttempts, recorded as failed. It
// returns how many calls finished (either way).
func (s *Service) Sync(ctx context.Context) (int, error) {
	now := s.now().UnixMilli()
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, sync_state FROM containment_actions WHERE sync_state IN ('apply', 'release')
		AND sync_next_at <= $1 AND (sync_claim IS NULL OR sync_claim < $1) ORDER BY sync_next_at LIMIT 50`, now)
	if err != nil {
		return 0, err
	}
	type job struct{ id, state string }
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.state); err != nil {
			rows.Close()
			return 0, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, j := range jobs {
		ok, err := s.claim(ctx, j.id, j.state)
		if err != nil {
			return n, err
		}
		if !ok {
			continue // another node has it
		}
		act, err := scanAction(s.db.R().QueryRowContext(ctx, `SELECT `+actionCols+` FROM containment_actions WHERE id = $1`, j.id))
		if err != nil {
			return n, err
		}
		var ref string
		s.db.R().QueryRowContext(ctx, `SELECT sync_ref FROM containment_actions WHERE id = $1`, j.id).Scan(&ref)
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		done, newRef, callErr := s.call(cctx, act, j.state, ref)
		cancel()
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if err := s.settle(ctx, act, j.state, newRef, done, callErr); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// claim takes an action's outbox for syncClaim, if no other node has it.
func (s *Service) claim(ctx context.Context, id, state string) (bool, error) {
	var claimed bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE containment_actions SET sync_claim = $1 WHERE id = $2 AND sync_state = $3
			AND (sync_claim IS NULL OR sync_claim < $4)`, now.Add(syncClaim).UnixMilli(), id, state, now.UnixMilli())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		claimed = n == 1
		return nil
	})
	return claimed, err
}

// permanent is an error a retry cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// call makes the outside calls of op (apply or release) for act. ref is
// the SCIM user id found when the account was disabled. done describes
// what was done, for the audit log.
func (s *Service) call(ctx context.Context, act Action, op, ref string) (done []string, newRef string, err error) {
	newRef = ref
	if act.Type == TypeAccount {
		c := s.opts.SCIM
		if c == nil {
			return nil, ref, permanent{ErrNoConnector}
		}
		if newRef == "" {
			u, err := c.FindUser(ctx, act.Value)
			if err != nil {
				return nil, ref, scimErr(err)
			}
			newRef = u.ID
		}
		active := op == syncRelease
		if err := c.SetActive(ctx, newRef, active); err != nil {
			return nil, newRef, scimErr(err)
		}
		done = append(done, fmt.Sprintf("scim: user %s active:%v", newRef, active))
	}
	if s.opts.Webhook != nil {
		ev := WebhookEvent{Event: "containment.activated", Action: act}
		if op == syncRelease {
			ev.Event = "containment.ended"
		}
		body, _ := json.Marshal(ev)
		if err := s.opts.Webhook.Send(ctx, act.ID+"."+op, body); err != nil {
			if !webhook.Temporary(err) {
				err = permanent{err}
			}
			return done, newRef, fmt.Errorf("webhook: %w", err)
		}
		done = append(done, "webhook: "+ev.Event+" delivered")
	}
	return done, newRef, nil
}

// scimErr marks SCIM answers a retry cannot change (4xx but 408 and 429,
// no such user) as permanent.
func scimErr(err error) error {
	var se *scim.Error
	if errors.Is(err, scim.ErrNotFound) || errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != 408 && se.Status != 429 {
		return permanent{fmt.Errorf("scim: %w", err)}
	}
	return fmt.Errorf("scim: %w", err)
}

// backoff is the delay before try n+1 (n ≥ 1): 5 s doubling, at most 10
// minutes.
func backoff(n int) time.Duration {
	d := 5 * time.Second << min(n-1, 10)
	return min(d, 10*time.Minute)
}

// settle records how a call went and releases the claim. When the action
// moved on meanwhile (revoked while it was being applied), its new state
// is kept, to be carried out next.
func (s *Service) settle(ctx context.Context, act Action, op, ref string, done []string, callErr error) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		var attempts int
		if err := tx.QueryRowContext(ctx, `SELECT sync_state, sync_attempts FROM containment_actions WHERE id = $1`+s.db.Dialect.ForUpdate,
			act.ID).Scan(&state, &attempts); err != nil {
			return err
		}
		now := s.stamp()
		if state != op {
			_, err := tx.ExecContext(ctx, `UPDATE containment_actions SET sync_claim = NULL, sync_ref = $1, sync_attempts = 0 WHERE id = $2`, ref, act.ID)
			return err
		}
		entry := audit.Entry{Actor: audit.System, AgencyID: act.AgencyID, TargetType: "containment", TargetID: act.ID}
		if callErr == nil {
			next := map[string]string{syncApply: syncApplied, syncRelease: syncReleased}[op]
			if _, err := tx.ExecContext(ctx, `UPDATE containment_actions SET sync_state = $1, sync_ref = $2, sync_claim = NULL, sync_error = '',
				sync_attempts = $3, updated_at = $4 WHERE id = $5`, next, ref, attempts+1, now.UnixMilli(), act.ID); err != nil {
				return err
			}
			entry.Code, entry.After = ConnectorDone, map[string]any{"op": op, "done": done}
			_, err := s.audit.Append(ctx, tx, entry)
			return err
		}
		attempts++
		var perm permanent
		if errors.As(callErr, &perm) || attempts >= s.opts.SyncAttempts {
			if _, err := tx.ExecContext(ctx, `UPDATE containment_actions SET sync_state = 'failed', sync_ref = $1, sync_claim = NULL, sync_error = $2,
				sync_attempts = $3, updated_at = $4 WHERE id = $5`, ref, callErr.Error(), attempts, now.UnixMilli(), act.ID); err != nil {
				return err
			}
			s.log.Error("containment connector failed", "action", act.ID, "op", op, "attempts", attempts, "err", callErr)
			entry.Code, entry.After = ConnectorFailed, map[string]any{"op": op, "done": done, "error": callErr.Error(), "attempts": attempts}
			_, err := s.audit.Append(ctx, tx, entry)
			return err
		}
		s.log.Warn("containment connector call failed; will retry", "action", act.ID, "op", op, "attempt", attempts, "err", callErr)
		_, err := tx.ExecContext(ctx, `UPDATE containment_actions SET sync_ref = $1, sync_claim = NULL, sync_error = $2, sync_attempts = $3,
			sync_next_at = $4 WHERE id = $5`, ref, callErr.Error(), attempts, now.Add(backoff(attempts)).UnixMilli(), act.ID)
		return err
	})
}

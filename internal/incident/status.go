package incident

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// ErrReviewNeeded refuses closing a high or critical incident before its
// post-incident review is complete.
var ErrReviewNeeded = fmt.Errorf("%w: a high or critical incident closes only after its post-incident review is complete", validate.ErrConflict)

// StatusChange is a move in the lifecycle (contract §6).
type StatusChange struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// CheckTransition says whether an incident of severity may move from one
// status to another: ahead (skipping stages) always; back only with a
// note; never to where it is; to closed, when high or critical, only with
// a completed review. A refusal wraps validate.ErrConflict (409).
func CheckTransition(from, to, severity, note string, reviewed bool) error {
	i, j := slices.Index(Statuses, from), slices.Index(Statuses, to)
	switch {
	case i < 0 || j < 0:
		return fmt.Errorf("%w: unknown status", validate.ErrConflict)
	case i == j:
		return fmt.Errorf("%w: the incident is %s already", validate.ErrConflict, to)
	case j < i && strings.TrimSpace(note) == "":
		return fmt.Errorf("%w: going back from %s to %s needs a note saying why", validate.ErrConflict, from, to)
	case to == StatusClosed && severityRank(severity) >= severityRank("high") && !reviewed:
		return ErrReviewNeeded
	}
	return nil
}

// ChangeStatus moves an incident in its lifecycle and stops the clocks
// the new status reaches: acknowledged at the first change out of new,
// contained at the first change to contained or later, recovered at the
// first change to recovered or later. Later changes back do not restart a
// stopped clock; closed_at is the last close.
func (s *Service) ChangeStatus(ctx context.Context, a authz.Actor, incidentID string, ch StatusChange) (Incident, error) {
	var v validate.Errors
	if !slices.Contains(Statuses, ch.Status) {
		v.Add("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	ch.Note = strings.TrimSpace(ch.Note)
	v.MaxLen("note", ch.Note, 10_000)
	var r *record
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		reviewed, err := s.reviewComplete(ctx, tx, r.id)
		if err != nil {
			return err
		}
		if err := CheckTransition(r.status, ch.Status, r.severity, ch.Note, reviewed); err != nil {
			return err
		}
		from := r.status
		now := s.stamp()
		ack, contain, recover, closed := reached(ch.Status)
		if ack && r.st.ack == nil {
			r.st.ack = &now
		}
		if contain && r.st.contain == nil {
			r.st.contain = &now
		}
		if recover && r.st.recover == nil {
			r.st.recover = &now
		}
		if closed {
			r.st.closed = &now
		} else {
			r.st.closed = nil
		}
		r.status = ch.Status
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = $1, acknowledged_at = $2, contained_at = $3, recovered_at = $4, closed_at = $5
			WHERE id = $6`, r.status, nullMillis(r.st.ack), nullMillis(r.st.contain), nullMillis(r.st.recover), nullMillis(r.st.closed), r.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incident_agencies SET status = $1 WHERE incident_id = $2`, r.status, r.id); err != nil {
			return err
		}
		text := fmt.Sprintf("Status: %s → %s", from, ch.Status)
		if ch.Note != "" {
			text += ". " + ch.Note
		}
		if err := s.addEntry(ctx, tx, r.id, entry{at: now, kind: KindStatus, actor: a.AuditActor(), text: text}); err != nil {
			return err
		}
		return s.touch(ctx, tx, a, r, StatusChanged, map[string]any{"status": from},
			map[string]any{"status": r.status, "note_sha256": sha256Hex(ch.Note)})
	})
	if err != nil {
		return Incident{}, err
	}
	return r.view(lensOf(a), s.now()), nil
}

// reviewComplete reports whether the incident's review is marked complete.
func (s *Service) reviewComplete(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, incidentID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_reviews WHERE incident_id = $1 AND completed_at IS NOT NULL`, incidentID).Scan(&n)
	return n > 0, err
}

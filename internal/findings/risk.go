package findings

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxRiskAcceptance is the longest a risk may be accepted for at once.
const MaxRiskAcceptance = 366 * 24 * time.Hour

// ErrSamePerson means the approver is the person who asked.
var ErrSamePerson = errors.New("a risk acceptance must be approved by someone other than who requested it")

// RequestRiskAcceptance asks for an open finding's risk to be accepted until
// expires, for a reason. An agency admin (or wog-admin) other than the
// requester approves or rejects it.
func (s *Service) RequestRiskAcceptance(ctx context.Context, a authz.Actor, findingID, reason string, expires time.Time) (Finding, error) {
	reason = strings.TrimSpace(reason)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.lockVisible(ctx, tx, a, findingID, authz.FindingRiskRequest)
		if err != nil {
			return err
		}
		var v validate.Errors
		v.Required("reason", reason, 5000)
		now := s.now()
		if !expires.After(now) || expires.Sub(now) > MaxRiskAcceptance {
			v.Add("expires_at", "must be in the future and at most a year ahead")
		}
		if !slices.Contains(OpenStatuses, before.Status) {
			v.Add("status", "only an open or in-progress finding can have its risk accepted")
		}
		if err := v.Err(); err != nil {
			return err
		}
		after := before
		exp := expires.UTC().Truncate(time.Millisecond)
		after.RiskAcceptance = &RiskAcceptance{Reason: reason, RequestedBy: a.UserID, ExpiresAt: &exp, Pending: true}
		after.UpdatedAt = now.UTC().Truncate(time.Millisecond)
		if err := s.write(ctx, tx, after); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.FindingRiskRequested, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: auditView(after)})
		return err
	})
	if err != nil {
		return Finding{}, err
	}
	return s.Get(ctx, a, findingID)
}

// DecideRiskAcceptance approves (the finding becomes risk-accepted until the
// expiry) or rejects a pending request.
func (s *Service) DecideRiskAcceptance(ctx context.Context, a authz.Actor, findingID string, approve bool, note string) (Finding, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.lockVisible(ctx, tx, a, findingID, authz.FindingRiskApprove)
		if err != nil {
			return err
		}
		ra := before.RiskAcceptance
		if ra == nil || !ra.Pending {
			return validate.Errors{{Field: "risk_acceptance", Message: "there is no pending request"}}
		}
		if ra.RequestedBy == a.UserID {
			return ErrSamePerson
		}
		after := before
		now := s.now().UTC().Truncate(time.Millisecond)
		code := audit.FindingRiskRejected
		if approve {
			if ra.ExpiresAt != nil && !ra.ExpiresAt.After(now) {
				return validate.Errors{{Field: "expires_at", Message: "the requested expiry has passed; ask again"}}
			}
			r := *ra
			r.ApprovedBy, r.Pending = a.UserID, false
			after.RiskAcceptance = &r
			after.Status = "risk-accepted"
			after.ClosedAt = &now
			code = audit.FindingRiskApproved
		} else {
			after.RiskAcceptance = nil
		}
		after.UpdatedAt = now
		if err := s.write(ctx, tx, after); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: withReason(auditView(after), note)})
		return err
	})
	if err != nil {
		return Finding{}, err
	}
	return s.Get(ctx, a, findingID)
}

// ExpireRiskAcceptances reopens findings whose accepted risk has expired,
// returning how many it reopened. The server runs it periodically.
func (s *Service) ExpireRiskAcceptances(ctx context.Context) (int, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	rows, err := s.db.R().QueryContext(ctx, `SELECT id FROM findings WHERE status = 'risk-accepted' AND risk_expires_at <= $1`, now.UnixMilli())
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
	n := 0
	for _, fid := range ids {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			before, err := s.scan(tx.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`+s.db.Dialect.ForUpdate, fid))
			if err != nil {
				return err
			}
			if before.Status != "risk-accepted" || before.RiskAcceptance == nil || before.RiskAcceptance.ExpiresAt == nil || before.RiskAcceptance.ExpiresAt.After(now) {
				return nil // changed meanwhile
			}
			after := before
			after.Status, after.RiskAcceptance, after.ClosedAt, after.UpdatedAt = "open", nil, nil, now
			if err := s.write(ctx, tx, after); err != nil {
				return err
			}
			n++
			_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.FindingRiskExpired, Actor: audit.System, AgencyID: after.AgencyID,
				TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: auditView(after)})
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

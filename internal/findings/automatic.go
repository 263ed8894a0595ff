package findings

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
)

// Changes that an automatic source (a scan, an import) makes to the
// findings it opened: it closes one when it no longer sees the problem and
// reopens one when the problem comes back. Both run inside the caller's
// transaction, which has already checked access to the finding's system;
// both are audited as status changes with the reason.

// CloseTx marks an open or in-progress finding fixed because its source no
// longer sees it. It reports whether the finding changed (a finding people
// already closed, or whose risk they accepted, is left alone).
func (s *Service) CloseTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, findingID, reason string) (Finding, bool, error) {
	return s.CloseAsTx(ctx, tx, actor, findingID, "fixed", reason)
}

// CloseAsTx is CloseTx with the closing status: fixed, or false-positive
// when the source itself says the problem is not real (a VEX statement of
// not_affected, a suppressed SARIF result).
func (s *Service) CloseAsTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, findingID, status, reason string) (Finding, bool, error) {
	if status != "fixed" && status != "false-positive" {
		return Finding{}, false, fmt.Errorf("findings: an automatic close is fixed or false-positive, not %q", status)
	}
	before, err := s.scan(tx.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`+s.db.Dialect.ForUpdate, findingID))
	if err != nil {
		return Finding{}, false, err
	}
	if !slices.Contains(OpenStatuses, before.Status) {
		return before, false, nil
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	after := before
	after.Status, after.ClosedAt, after.UpdatedAt = status, &now, now
	return after, true, s.writeAudited(ctx, tx, actor, before, after, reason)
}

// ReopenTx reopens a fixed finding because its source sees the problem
// again. The deadline runs afresh from now under the agency's policy, as
// for a problem found for the first time. It reports whether the finding
// changed: an open finding stays as it is, and a decision people made
// (risk accepted, false positive, duplicate) is not overridden.
func (s *Service) ReopenTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, findingID, reason string) (Finding, bool, error) {
	before, err := s.scan(tx.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`+s.db.Dialect.ForUpdate, findingID))
	if err != nil {
		return Finding{}, false, err
	}
	if before.Status != "fixed" {
		return before, false, nil
	}
	pol, err := s.policy(ctx, tx, before.AgencyID)
	if err != nil {
		return Finding{}, false, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	after := before
	after.Status, after.ClosedAt, after.UpdatedAt = "open", nil, now
	after.DueAt = pol.Due(now, after.Severity)
	after.Overdue = false
	return after, true, s.writeAudited(ctx, tx, actor, before, after, reason)
}

func (s *Service) writeAudited(ctx context.Context, tx *sql.Tx, actor audit.Actor, before, after Finding, reason string) error {
	if err := s.write(ctx, tx, after); err != nil {
		return err
	}
	_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.FindingStatusChanged, Actor: actor, AgencyID: after.AgencyID,
		TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: withReason(auditView(after), reason)})
	return err
}

// Refresh is what an automatic source says of a finding it opened when
// it sees the problem again with different content.
type Refresh struct {
	Title       string
	Description string
	Severity    string
	CVSSVector  string
	CVSSScore   *float64
	CWE         *int
}

// RefreshTx updates the content of a finding an automatic source opened,
// inside the caller's transaction (which has checked access to its
// system). A severity change recomputes the deadline from when the finding
// was found and is audited as a severity change; other changes as an
// update. The status is left alone: a decision people made stands.
func (s *Service) RefreshTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, findingID string, in Refresh, reason string) (Finding, error) {
	nf := NewFinding{Source: "import", Title: in.Title, Description: in.Description, Severity: in.Severity,
		CVSSVector: in.CVSSVector, CVSSScore: in.CVSSScore, CWE: in.CWE}
	if err := nf.validate(); err != nil {
		return Finding{}, err
	}
	before, err := s.scan(tx.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`+s.db.Dialect.ForUpdate, findingID))
	if err != nil {
		return Finding{}, err
	}
	after := before
	after.Title, after.Description, after.CVSSVector, after.CVSSScore, after.CWE = nf.Title, nf.Description, nf.CVSSVector, nf.CVSSScore, nf.CWE
	code := audit.FindingUpdated
	if nf.Severity != before.Severity {
		pol, err := s.policy(ctx, tx, before.AgencyID)
		if err != nil {
			return Finding{}, err
		}
		after.Severity = nf.Severity
		after.DueAt = pol.Due(before.CreatedAt, after.Severity)
		code = audit.FindingSeverityChanged
	}
	after.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := s.write(ctx, tx, after); err != nil {
		return Finding{}, err
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: actor, AgencyID: after.AgencyID,
		TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: withReason(auditView(after), reason)})
	return after, err
}

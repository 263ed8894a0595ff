package findings

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/validate"
)

// transitions lists the statuses a caller may move a finding to from each
// status. risk-accepted is reached only by approving a risk acceptance.
var transitions = map[string][]string{
	"open":           {"in-progress", "fixed", "false-positive", "duplicate"},
	"in-progress":    {"open", "fixed", "false-positive", "duplicate"},
	"fixed":          {"open"},
	"false-positive": {"open"},
	"duplicate":      {"open"},
	"risk-accepted":  {"open"},
}

// Transitions returns where a finding in status may go.
func Transitions(status string) []string { return transitions[status] }

// Patch changes some of a finding's fields; nil leaves a field alone.
type Patch struct {
	Title       *string  `json:"title"`
	Description *string  `json:"description"`
	Severity    *string  `json:"severity"`
	CVSSVector  *string  `json:"cvss_vector"`
	CVSSScore   *float64 `json:"cvss_score"`
	CWE         *int     `json:"cwe"`
	Status      *string  `json:"status"`
	DuplicateOf *string  `json:"duplicate_of"`
	Reason      string   `json:"reason"` // why (kept in the audit log)
}

// Update applies p. A severity change recomputes the due date from when the
// finding was found; a status change follows Transitions.
func (s *Service) Update(ctx context.Context, a authz.Actor, findingID string, p Patch) (Finding, error) {
	var after Finding
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.lockVisible(ctx, tx, a, findingID, authz.FindingUpdate)
		if err != nil {
			return err
		}
		after = before
		var v validate.Errors
		if p.Title != nil {
			after.Title = strings.TrimSpace(*p.Title)
			v.Required("title", after.Title, 300)
		}
		if p.Description != nil {
			after.Description = *p.Description
			v.MaxLen("description", after.Description, 100_000)
		}
		if p.CWE != nil {
			after.CWE = p.CWE
		}
		// Only what the patch gives is checked: a finding kept from before
		// the one CVSS parser keeps its vector until someone changes it.
		vector, score := "", p.CVSSScore
		if p.CVSSVector != nil {
			vector = *p.CVSSVector
		}
		checkCVSS(&v, &vector, &score, p.CWE)
		if p.CVSSVector != nil {
			after.CVSSVector = vector
		}
		if score != nil && (p.CVSSScore != nil || vector != "") {
			after.CVSSScore = score
		}
		v.MaxLen("reason", p.Reason, 2000)
		code := audit.FindingUpdated
		if p.Severity != nil && *p.Severity != before.Severity {
			v.OneOf("severity", *p.Severity, Severities)
			after.Severity = *p.Severity
			pol, err := s.policy(ctx, tx, before.AgencyID)
			if err != nil {
				return err
			}
			after.DueAt = pol.Due(before.CreatedAt, after.Severity)
			code = audit.FindingSeverityChanged
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		if p.Status != nil && *p.Status != before.Status {
			if !slices.Contains(transitions[before.Status], *p.Status) {
				v.Add("status", "cannot go from %s to %s (allowed: %s)", before.Status, *p.Status, strings.Join(transitions[before.Status], ", "))
			}
			after.Status = *p.Status
			code = audit.FindingStatusChanged
			if *p.Status == "duplicate" {
				if p.DuplicateOf == nil || *p.DuplicateOf == "" || *p.DuplicateOf == before.ID {
					v.Add("duplicate_of", "name the finding this one duplicates")
				} else if orig, err := s.get(ctx, tx, *p.DuplicateOf); err != nil || orig.AgencyID != before.AgencyID {
					v.Add("duplicate_of", "no such finding in this agency")
				}
				if p.DuplicateOf != nil {
					after.DuplicateOf = *p.DuplicateOf
				}
			} else {
				after.DuplicateOf = ""
			}
			if before.Status == "risk-accepted" {
				after.RiskAcceptance = nil
			}
			if slices.Contains(OpenStatuses, after.Status) {
				after.ClosedAt = nil
			} else {
				after.ClosedAt = &now
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		after.UpdatedAt = now
		if err := s.write(ctx, tx, after); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "finding", TargetID: after.ID, Before: auditView(before), After: withReason(auditView(after), p.Reason)})
		return err
	})
	if err != nil {
		return Finding{}, err
	}
	return s.Get(ctx, a, findingID)
}

// lockVisible reads a finding for change inside tx, checking act.
func (s *Service) lockVisible(ctx context.Context, tx *sql.Tx, a authz.Actor, findingID string, act authz.Action) (Finding, error) {
	if err := authz.Check(a, act, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Finding{}, err
	}
	f, err := s.scan(tx.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`+s.db.Dialect.ForUpdate, findingID))
	if err != nil {
		return Finding{}, err
	}
	if err := authz.Check(a, act, authz.Record(f.AgencyID)); err != nil {
		return Finding{}, err
	}
	return f, nil
}

// write stores every changeable column of f.
func (s *Service) write(ctx context.Context, tx *sql.Tx, f Finding) error {
	var reason, req, appr string
	var exp any
	if r := f.RiskAcceptance; r != nil {
		reason, req, appr, exp = r.Reason, r.RequestedBy, r.ApprovedBy, millisPtr(r.ExpiresAt)
	}
	var dup any
	if f.DuplicateOf != "" {
		dup = f.DuplicateOf
	}
	_, err := tx.ExecContext(ctx, `UPDATE findings SET title=$1, description=$2, severity=$3, severity_rank=$4, cvss_vector=$5,
		cvss_score=$6, cwe=$7, status=$8, due_at=$9, duplicate_of=$10, risk_reason=$11, risk_requested_by=$12,
		risk_approved_by=$13, risk_expires_at=$14, updated_at=$15, closed_at=$16 WHERE id=$17`,
		f.Title, f.Description, f.Severity, severity.Rank(f.Severity), f.CVSSVector, f.CVSSScore, f.CWE, f.Status,
		millisPtr(f.DueAt), dup, reason, req, appr, exp, f.UpdatedAt.UnixMilli(), millisPtr(f.ClosedAt), f.ID)
	return err
}

func withReason(m map[string]any, reason string) map[string]any {
	if reason != "" {
		m["reason"] = reason
	}
	return m
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// History is the finding's change history, newest first, read from the
// tamper-evident audit log.
func (s *Service) History(ctx context.Context, a authz.Actor, findingID string) ([]audit.Record, error) {
	if _, err := s.Get(ctx, a, findingID); err != nil {
		return nil, err
	}
	return s.audit.List(ctx, audit.Filter{AllAgencies: true, TargetType: "finding", TargetID: findingID, Limit: 1000})
}

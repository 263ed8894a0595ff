package findings

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/severity"
)

// createBatch is how many findings one INSERT of CreateManyTx carries
// (17 values each).
const createBatch = 400

// CreateManyTx is CreateTx for many findings of one system at once (an
// import of thousands of results): the same validation, deadlines and
// audit entries, with the agency's policy read once and the rows and
// audit records inserted in batches. The caller must have checked access
// to sys. Any invalid input fails the whole call.
func (s *Service) CreateManyTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, sys registry.System, ins []NewFinding) ([]Finding, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	pol, err := s.policy(ctx, tx, sys.AgencyID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	out := make([]Finding, 0, len(ins))
	entries := make([]audit.Entry, 0, len(ins))
	for i := range ins {
		in := &ins[i]
		if err := in.validate(); err != nil {
			return nil, fmt.Errorf("finding %d (%q): %w", i+1, in.Title, err)
		}
		found := now
		if !in.FoundAt.IsZero() && in.FoundAt.Before(now) {
			found = in.FoundAt.UTC().Truncate(time.Millisecond)
		}
		f := Finding{
			ID: id.New(), SystemID: sys.ID, System: sys.Name, AgencyID: sys.AgencyID, Agency: sys.Agency,
			Source: in.Source, SourceRef: in.SourceRef, Title: in.Title, Description: in.Description,
			Severity: in.Severity, CVSSVector: in.CVSSVector, CVSSScore: in.CVSSScore, CWE: in.CWE,
			Status: "open", DueAt: pol.Due(found, in.Severity), CreatedBy: actor.ID, CreatedAt: found, UpdatedAt: now,
		}
		f.Overdue = f.DueAt != nil && f.DueAt.Before(now)
		out = append(out, f)
		entries = append(entries, audit.Entry{Code: audit.FindingCreated, Actor: actor, AgencyID: f.AgencyID,
			TargetType: "finding", TargetID: f.ID, After: auditView(f)})
	}
	for start := 0; start < len(out); start += createBatch {
		part := out[start:min(start+createBatch, len(out))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO findings (id, system_id, agency_id, source, source_ref, title, description,
			severity, severity_rank, cvss_vector, cvss_score, cwe, status, due_at, created_by, created_at, updated_at) VALUES `)
		args := make([]any, 0, len(part)*17)
		for i, f := range part {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for k := 1; k <= 17; k++ {
				if k > 1 {
					sb.WriteByte(',')
				}
				sb.WriteString(s.db.Param(len(args) + k))
			}
			sb.WriteByte(')')
			args = append(args, f.ID, f.SystemID, f.AgencyID, f.Source, f.SourceRef, f.Title, f.Description, f.Severity,
				severity.Rank(f.Severity), f.CVSSVector, f.CVSSScore, f.CWE, f.Status, millisPtr(f.DueAt), f.CreatedBy,
				f.CreatedAt.UnixMilli(), f.UpdatedAt.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return nil, fmt.Errorf("insert findings: %w", err)
		}
	}
	if err := s.audit.AppendMany(ctx, tx, entries); err != nil {
		return nil, err
	}
	return out, nil
}

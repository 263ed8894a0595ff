package disclosure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/validate"
)

var transitions = map[string][]string{
	"new":             {"needs-more-info", "triaged", "accepted", "duplicate", "informative", "not-applicable", "spam"},
	"needs-more-info": {"triaged", "accepted", "duplicate", "informative", "not-applicable", "spam"},
	"triaged":         {"needs-more-info", "accepted", "duplicate", "informative", "not-applicable", "spam"},
	"accepted":        {"resolved", "duplicate", "informative", "not-applicable"},
	"resolved":        {"retest", "closed", "accepted"},
	"retest":          {"resolved", "accepted", "closed"},
	"closed":          {},
	"duplicate":       {"triaged"},
	"informative":     {"triaged"},
	"not-applicable":  {"triaged"},
	"spam":            {"triaged"},
}

// Transitions returns the statuses a report in status may move to.
func Transitions(status string) []string { return transitions[status] }

// closing statuses end a report's life without a fix.
var closing = []string{"closed", "duplicate", "informative", "not-applicable", "spam"}

// Transition is a status change.
type Transition struct {
	Status      string `json:"status"`
	Reason      string `json:"reason"`       // required; the reporter sees it
	DuplicateOf string `json:"duplicate_of"` // the original's tracking id, for duplicate
	FindingID   string `json:"finding_id"`   // optional: an existing finding this report is about
}

// Transition moves a report along its lifecycle. Accepting a report makes
// it a finding (source vdp, bounty or vrp) of its system's agency in the
// same transaction, with the due date its severity has under the agency's
// SLA policy, counted from the report's submission.
func (s *Service) Transition(ctx context.Context, a authz.Actor, reportID string, t Transition) (Report, error) {
	if err := authz.Check(a, authz.ReportTriage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Report{}, err
	}
	var before, after Report
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		before, err = s.load(ctx, tx, reportID, true)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReportTriage, reportResource(&before)); err != nil {
			return err
		}
		after = before
		var v validate.Errors
		t.Reason = strings.TrimSpace(t.Reason)
		v.Required("reason", t.Reason, 5000)
		if t.Status == before.Status || !slices.Contains(transitions[before.Status], t.Status) {
			v.Add("status", "cannot go from %s to %s (allowed: %s)", before.Status, t.Status, strings.Join(transitions[before.Status], ", "))
		}
		if t.Status == "duplicate" {
			orig, err := s.load(ctx, tx, strings.TrimSpace(t.DuplicateOf), false)
			switch {
			case err != nil || orig.ID == before.ID:
				v.Add("duplicate_of", "name the tracking id of the report this one duplicates")
			case orig.SubmittedAt.After(before.SubmittedAt):
				v.Add("duplicate_of", "the original must have been submitted first")
			default:
				after.DuplicateOf = orig.ID
			}
		} else {
			after.DuplicateOf = ""
		}
		if t.FindingID != "" {
			f, err := s.findings.Get(ctx, a, t.FindingID)
			if err != nil || (before.SystemID != "" && f.SystemID != before.SystemID) {
				v.Add("finding_id", "no such finding on this report's system")
			} else {
				after.FindingID = f.ID
			}
		}
		if t.Status == "accepted" {
			if before.SystemID == "" {
				v.Add("system_id", "set the affected system before accepting")
			}
			if before.Severity == "" {
				v.Add("severity", "set the severity before accepting")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.stamp()
		after.Status = t.Status
		after.UpdatedAt = now
		if after.FirstResponseAt == nil {
			after.FirstResponseAt = &now
		}
		if after.TriagedAt == nil && t.Status != "needs-more-info" {
			after.TriagedAt = &now
		}
		switch {
		case t.Status == "resolved":
			if after.ResolvedAt == nil {
				after.ResolvedAt = &now
			}
			after.ClosedAt = nil
		case slices.Contains(closing, t.Status):
			after.ClosedAt = &now
		default:
			after.ClosedAt = nil
		}
		if t.Status == "accepted" {
			after.ResolvedAt = nil
			if after.FindingID == "" {
				f, err := s.createFinding(ctx, tx, a, before)
				if err != nil {
					return err
				}
				after.FindingID = f.ID
			}
		}
		if err := s.writeState(ctx, tx, after); err != nil {
			return err
		}
		body := fmt.Sprintf("Status changed from %s to %s.\n\n%s", before.Status, after.Status, t.Reason)
		if after.DuplicateOf != "" {
			orig, _ := s.load(ctx, tx, after.DuplicateOf, false)
			body += fmt.Sprintf("\n\nDuplicate of %s, submitted %s, content hash %s.", orig.ID,
				orig.SubmittedAt.Format(time.RFC3339Nano), orig.ContentHash)
		}
		if err := s.event(ctx, tx, after, a, body); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportStatusChanged, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "report", TargetID: after.ID, Before: map[string]any{"status": before.Status},
			After: map[string]any{"status": after.Status, "reason": t.Reason, "duplicate_of": after.DuplicateOf, "finding_id": after.FindingID}})
		return err
	})
	if err != nil {
		return Report{}, err
	}
	s.tellReporter(ctx, after, "Report "+after.ID+" is now "+after.Status, "The status of your report \""+oneLine(after.Title)+"\" changed to "+after.Status+".")
	return s.Report(ctx, a, reportID)
}

// createFinding makes the finding of an accepted report inside tx.
func (s *Service) createFinding(ctx context.Context, tx *sql.Tx, a authz.Actor, r Report) (findings.Finding, error) {
	sys, err := s.registry.System(ctx, a, r.SystemID)
	if err != nil {
		return findings.Finding{}, fmt.Errorf("report's system: %w", err)
	}
	var desc strings.Builder
	desc.WriteString(r.Description)
	if strings.TrimSpace(r.Steps) != "" {
		desc.WriteString("\n\n## Steps to reproduce\n\n" + r.Steps)
	}
	if strings.TrimSpace(r.Impact) != "" {
		desc.WriteString("\n\n## Impact\n\n" + r.Impact)
	}
	if r.AffectedURL != "" {
		desc.WriteString("\n\nAffected: `" + strings.ReplaceAll(r.AffectedURL, "`", "") + "`")
	}
	text := desc.String()
	if len(text) > 100_000 {
		text = text[:100_000]
	}
	return s.findings.CreateTx(ctx, tx, a.AuditActor(), sys, findings.NewFinding{
		SystemID: sys.ID, Source: r.ProgrammeKind, SourceRef: r.ID, Title: r.Title, Description: text,
		Severity: r.Severity, CVSSVector: r.CVSSVector, CVSSScore: r.CVSSScore, CWE: r.CWE, FoundAt: r.SubmittedAt,
	})
}

// writeState stores the changeable columns of r.
func (s *Service) writeState(ctx context.Context, tx *sql.Tx, r Report) error {
	ftd := 0
	if r.FixedThenDenied {
		ftd = 1
	}
	_, err := tx.ExecContext(ctx, `UPDATE reports SET system_id=$1, agency_id=$2, status=$3, duplicate_of=$4, finding_id=$5,
		severity=$6, cvss_vector=$7, cvss_score=$8, cwe=$9, asset_type=$10, parameter=$11, disclosure=$12, public_summary=$13,
		fixed_then_denied=$14, first_response_at=$15, triaged_at=$16, rewarded_at=$17, resolved_at=$18, closed_at=$19,
		updated_at=$20, escalations=$21 WHERE id=$22`,
		nullable(r.SystemID), r.AgencyID, r.Status, r.DuplicateOf, r.FindingID, r.Severity, r.CVSSVector, r.CVSSScore, r.CWE,
		r.AssetType, r.Parameter, r.Disclosure, r.PublicSummary, ftd, millisPtr(r.FirstResponseAt), millisPtr(r.TriagedAt),
		millisPtr(r.RewardedAt), millisPtr(r.ResolvedAt), millisPtr(r.ClosedAt), r.UpdatedAt.UnixMilli(), r.escalations, r.ID)
	return err
}

// SeverityChange sets a report's severity, from a CVSS vector or directly.
type SeverityChange struct {
	CVSSVector    string `json:"cvss_vector"`
	Severity      string `json:"severity"`
	Justification string `json:"justification"` // required; the reporter sees it
}

// SetSeverity changes a report's severity (staff). The justification goes
// into the thread, where the reporter sees it, and into the audit log. The
// finding of an accepted report follows.
func (s *Service) SetSeverity(ctx context.Context, a authz.Actor, reportID string, c SeverityChange) (Report, error) {
	if err := authz.Check(a, authz.ReportTriage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Report{}, err
	}
	var before, after Report
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		before, err = s.load(ctx, tx, reportID, true)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReportTriage, reportResource(&before)); err != nil {
			return err
		}
		after = before
		var v validate.Errors
		c.Justification = strings.TrimSpace(c.Justification)
		v.Required("justification", c.Justification, 5000)
		switch {
		case c.CVSSVector != "":
			cv, err := severity.ParseCVSS(c.CVSSVector)
			if err != nil {
				v.Add("cvss_vector", "%v", err)
			} else {
				after.CVSSVector, after.CVSSScore, after.Severity = cv.Vector, &cv.Score, cv.Severity
			}
		case c.Severity != "":
			v.OneOf("severity", c.Severity, severity.Severities)
			after.Severity, after.CVSSVector, after.CVSSScore = c.Severity, "", nil
		default:
			v.Add("severity", "give a CVSS vector or a severity")
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.stamp()
		after.UpdatedAt = now
		if after.FirstResponseAt == nil {
			after.FirstResponseAt = &now
		}
		if err := s.writeState(ctx, tx, after); err != nil {
			return err
		}
		body := fmt.Sprintf("Severity changed from %s to %s", orDash(before.Severity), after.Severity)
		if after.CVSSVector != "" {
			body += fmt.Sprintf(" (CVSS %.1f, %s)", *after.CVSSScore, after.CVSSVector)
		}
		body += ".\n\n" + c.Justification
		if err := s.event(ctx, tx, after, a, body); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportSeverityChange, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "report", TargetID: after.ID,
			Before: map[string]any{"severity": before.Severity, "cvss_vector": before.CVSSVector},
			After:  map[string]any{"severity": after.Severity, "cvss_vector": after.CVSSVector, "justification": c.Justification}})
		return err
	})
	if err != nil {
		return Report{}, err
	}
	if after.FindingID != "" && after.Severity != before.Severity {
		vec := after.CVSSVector
		if _, err := s.findings.Update(ctx, a, after.FindingID, findings.Patch{Severity: &after.Severity, CVSSVector: &vec,
			CVSSScore: after.CVSSScore, Reason: "severity of report " + after.ID + " changed: " + c.Justification}); err != nil && !errors.Is(err, authz.ErrNotFound) {
			s.log.Error("finding severity follow-up", "report", after.ID, "err", err)
		}
	}
	s.tellReporter(ctx, after, "Severity of report "+after.ID+" changed", "The severity of your report \""+oneLine(after.Title)+"\" changed to "+after.Severity+".")
	return s.Report(ctx, a, reportID)
}

func orDash(s string) string {
	if s == "" {
		return "unrated"
	}
	return s
}

// TriageUpdate changes a report's classification (staff); nil leaves a
// field alone.
type TriageUpdate struct {
	SystemID  *string `json:"system_id"`
	CWE       *int    `json:"cwe"`
	AssetType *string `json:"asset_type"`
	Parameter *string `json:"parameter"`
}

// UpdateTriage sets a report's system (and so its agency), CWE, asset type
// or parameter.
func (s *Service) UpdateTriage(ctx context.Context, a authz.Actor, reportID string, u TriageUpdate) (Report, error) {
	if err := authz.Check(a, authz.ReportTriage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Report{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.load(ctx, tx, reportID, true)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReportTriage, reportResource(&before)); err != nil {
			return err
		}
		after := before
		var v validate.Errors
		if u.SystemID != nil {
			if *u.SystemID == "" {
				after.SystemID, after.AgencyID = "", ""
			} else if sys, err := s.registry.System(ctx, a, *u.SystemID); err != nil {
				v.Add("system_id", "no such system")
			} else {
				after.SystemID, after.AgencyID = sys.ID, sys.AgencyID
			}
			if before.FindingID != "" && after.SystemID != before.SystemID {
				v.Add("system_id", "the report is already a finding of its system")
			}
		}
		if u.CWE != nil {
			if *u.CWE < 1 || *u.CWE > 100000 {
				v.Add("cwe", "must be a CWE number")
			}
			after.CWE = u.CWE
		}
		if u.AssetType != nil {
			if *u.AssetType != "" {
				v.OneOf("asset_type", *u.AssetType, AssetTypes)
			}
			after.AssetType = *u.AssetType
		}
		if u.Parameter != nil {
			after.Parameter = strings.TrimSpace(*u.Parameter)
			v.MaxLen("parameter", after.Parameter, 200)
		}
		if err := v.Err(); err != nil {
			return err
		}
		after.UpdatedAt = s.stamp()
		if err := s.writeState(ctx, tx, after); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportUpdated, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "report", TargetID: after.ID,
			Before: map[string]any{"system_id": before.SystemID, "cwe": before.CWE, "asset_type": before.AssetType, "parameter": before.Parameter},
			After:  map[string]any{"system_id": after.SystemID, "cwe": after.CWE, "asset_type": after.AssetType, "parameter": after.Parameter}})
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, a, reportID)
}

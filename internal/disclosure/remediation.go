package disclosure

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// SyncFindings follows the findings made from reports: an accepted report
// whose finding is fixed becomes resolved (and its reporter is told, so
// they can be asked to retest); a report closed as informative or
// not-applicable whose finding is fixed is flagged "fixed, then denied"
// for review. It returns how many reports changed.
func (s *Service) SyncFindings(ctx context.Context) (int, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+reportCols+reportFrom+` JOIN findings f ON f.id = r.finding_id
		WHERE f.status = 'fixed' AND (r.status = 'accepted' OR (r.status IN ('informative', 'not-applicable') AND r.fixed_then_denied = 0))
		LIMIT 1000`)
	if err != nil {
		return 0, err
	}
	var list []Report
	for rows.Next() {
		r, err := s.scanReport(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	system := authz.Actor{UserID: "system", Email: "kubu"}
	for _, r := range list {
		before := r
		now := s.stamp()
		code := ReportFixedDenied
		if r.Status == "accepted" {
			r.Status, r.ResolvedAt, code = "resolved", &now, ReportResolved
		} else {
			r.FixedThenDenied = true
		}
		r.UpdatedAt = now
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			cur, err := s.load(ctx, tx, r.ID, true)
			if err != nil {
				return err
			}
			if cur.Status != before.Status || cur.FixedThenDenied != before.FixedThenDenied {
				return errSkip
			}
			r.escalations = cur.escalations
			if err := s.writeState(ctx, tx, r); err != nil {
				return err
			}
			if r.Status == "resolved" {
				if err := s.event(ctx, tx, r, system, "Status changed from accepted to resolved.\n\nThe agency fixed the finding."); err != nil {
					return err
				}
			}
			_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: audit.System, AgencyID: r.AgencyID, TargetType: "report",
				TargetID: r.ID, Before: map[string]any{"status": before.Status}, After: map[string]any{"status": r.Status,
					"finding_id": r.FindingID, "fixed_then_denied": r.FixedThenDenied}})
			return err
		})
		if err == errSkip {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
		if r.Status == "resolved" {
			s.tellReporter(ctx, r, "Report "+r.ID+" is fixed", "The issue in your report \""+oneLine(r.Title)+"\" has been fixed. We may ask you to retest it.")
		}
	}
	return n, nil
}

// DisclosureChange is the reporter's consent, or staff's publication.
type DisclosureChange struct {
	Consent bool   `json:"consent"` // the reporter agrees to publication
	Publish bool   `json:"publish"` // staff: publish the redacted summary
	Summary string `json:"summary"` // staff: the redacted text to publish
}

// SetDisclosure records the reporter's consent to coordinated disclosure
// (or its withdrawal), or publishes a redacted summary (staff), which is
// allowed only once the report is resolved or closed as fixed and the
// reporter consented.
func (s *Service) SetDisclosure(ctx context.Context, a authz.Actor, reportID string, c DisclosureChange) (Report, error) {
	if err := authz.Check(a, authz.ReportRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Report{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.load(ctx, tx, reportID, true)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReportRead, reportResource(&r)); err != nil {
			return err
		}
		return s.applyDisclosure(ctx, tx, a, r, c)
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, a, reportID)
}

// PublicSetDisclosure is SetDisclosure for an anonymous reporter (consent
// only).
func (s *Service) PublicSetDisclosure(ctx context.Context, reportID, token string, consent bool) error {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.load(ctx, tx, r.ID, true)
		if err != nil {
			return err
		}
		return s.applyDisclosure(ctx, tx, authz.Anonymous, cur, DisclosureChange{Consent: consent})
	})
}

func (s *Service) applyDisclosure(ctx context.Context, tx *sql.Tx, a authz.Actor, r Report, c DisclosureChange) error {
	before := r.Disclosure
	if c.Publish {
		if !staffView(a, &r) {
			return authz.ErrForbidden
		}
		var v validate.Errors
		c.Summary = strings.TrimSpace(c.Summary)
		v.Required("summary", c.Summary, 20_000)
		if r.Disclosure != "consented" {
			v.Add("disclosure", "the reporter has not consented to publication")
		}
		if r.Status != "resolved" && r.Status != "closed" {
			v.Add("disclosure", "a report is published only after the fix")
		}
		if err := v.Err(); err != nil {
			return err
		}
		r.Disclosure, r.PublicSummary = "published", c.Summary
	} else {
		if staffView(a, &r) {
			return validate.Errors{{Field: "consent", Message: "only the reporter gives consent"}}
		}
		if r.Disclosure == "published" {
			return validate.Errors{{Field: "consent", Message: "the report is already published"}}
		}
		r.Disclosure = ""
		if c.Consent {
			r.Disclosure = "consented"
		}
	}
	r.UpdatedAt = s.stamp()
	if err := s.writeState(ctx, tx, r); err != nil {
		return err
	}
	_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ReportDisclosure, Actor: a.AuditActor(), AgencyID: r.AgencyID,
		TargetType: "report", TargetID: r.ID, Before: map[string]any{"disclosure": before},
		After: map[string]any{"disclosure": r.Disclosure, "summary_sha256": sha256Hex([]byte(r.PublicSummary))}})
	return err
}

// Disclosed is a published coordinated disclosure.
type Disclosed struct {
	TrackingID  string     `json:"tracking_id"`
	Programme   string     `json:"programme"`
	Title       string     `json:"title"`
	Severity    string     `json:"severity"`
	CWE         *int       `json:"cwe,omitempty"`
	Summary     string     `json:"summary"`
	Researcher  string     `json:"researcher,omitempty"`
	SubmittedAt time.Time  `json:"submitted_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

// Disclosures lists the published disclosures, newest fix first (100).
func (s *Service) Disclosures(ctx context.Context) ([]Disclosed, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.disclosure = 'published'
		ORDER BY r.resolved_at DESC, r.id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Disclosed{}
	for rows.Next() {
		r, err := s.scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, Disclosed{TrackingID: r.ID, Programme: r.Programme, Title: r.Title, Severity: r.Severity, CWE: r.CWE,
			Summary: r.PublicSummary, Researcher: r.Researcher, SubmittedAt: r.SubmittedAt, ResolvedAt: r.ResolvedAt})
	}
	return out, rows.Err()
}

package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Review is the post-incident review: what happened, its impact, the root
// cause, what went well and what to change, and the follow-up findings it
// opened on the agencies' systems. A high or critical incident closes only
// once its review is complete.
type Review struct {
	IncidentID      string     `json:"incident_id"`
	WhatHappened    string     `json:"what_happened"`
	Impact          string     `json:"impact"`
	RootCause       string     `json:"root_cause"`
	WentWell        string     `json:"went_well"`
	ToChange        string     `json:"to_change"`
	Complete        bool       `json:"complete"`
	CompletedAt     *time.Time `json:"completed_at,omitempty"`
	CompletedBy     string     `json:"completed_by,omitempty"`
	UpdatedBy       string     `json:"updated_by,omitempty"`
	UpdatedAt       *time.Time `json:"updated_at,omitempty"`
	FollowUps       []FollowUp `json:"follow_ups"`
	FollowUpsHidden int        `json:"follow_ups_hidden"`
}

// FollowUp is a finding the review opened.
type FollowUp struct {
	FindingID string     `json:"finding_id"`
	Title     string     `json:"title"`
	Severity  string     `json:"severity"`
	Status    string     `json:"status"`
	Agency    string     `json:"agency"`
	SystemID  string     `json:"system_id"`
	System    string     `json:"system"`
	DueAt     *time.Time `json:"due_at"`
}

// ReviewInput changes the review; nil fields are left as they are.
// Complete marks it complete (what happened, impact and root cause must
// be written) or reopens it.
type ReviewInput struct {
	WhatHappened *string `json:"what_happened"`
	Impact       *string `json:"impact"`
	RootCause    *string `json:"root_cause"`
	WentWell     *string `json:"went_well"`
	ToChange     *string `json:"to_change"`
	Complete     *bool   `json:"complete"`
}

// Review returns an incident's review (empty until someone writes it).
func (s *Service) Review(ctx context.Context, a authz.Actor, incidentID string) (Review, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return Review{}, err
	}
	return s.review(ctx, s.db.R(), r, lensOf(a))
}

func (s *Service) review(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, r *record, l lens) (Review, error) {
	rv := Review{IncidentID: r.id, FollowUps: []FollowUp{}}
	var completed, updated sql.NullInt64
	var updatedBy string
	err := q.QueryRowContext(ctx, `SELECT what_happened, impact, root_cause, went_well, to_change, completed_at,
		COALESCE((SELECT email FROM users u WHERE u.id = completed_by), completed_by), COALESCE((SELECT email FROM users u WHERE u.id = updated_by), updated_by), updated_at
		FROM incident_reviews WHERE incident_id = $1`, r.id).Scan(&rv.WhatHappened, &rv.Impact, &rv.RootCause, &rv.WentWell, &rv.ToChange,
		&completed, &rv.CompletedBy, &updatedBy, &updated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Review{}, err
	}
	if err == nil {
		rv.CompletedAt, rv.UpdatedAt, rv.UpdatedBy = msPtr(completed), msPtr(updated), updatedBy
		rv.Complete = rv.CompletedAt != nil
	}
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.title, f.severity, f.status, a.code, f.agency_id, s.id, s.name, f.due_at
		FROM incident_findings x JOIN findings f ON f.id = x.finding_id JOIN systems s ON s.id = f.system_id JOIN agencies a ON a.id = f.agency_id
		WHERE x.incident_id = $1 AND x.relation = $2 ORDER BY x.linked_at, f.id`, r.id, relationFollowUp)
	if err != nil {
		return Review{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var fu FollowUp
		var agencyID string
		var due sql.NullInt64
		if err := rows.Scan(&fu.FindingID, &fu.Title, &fu.Severity, &fu.Status, &fu.Agency, &agencyID, &fu.SystemID, &fu.System, &due); err != nil {
			return Review{}, err
		}
		if !l.sees(agencyID) {
			rv.FollowUpsHidden++
			continue
		}
		fu.DueAt = msPtr(due)
		rv.FollowUps = append(rv.FollowUps, fu)
	}
	return rv, rows.Err()
}

// SaveReview writes the review, and marks it complete or not.
func (s *Service) SaveReview(ctx context.Context, a authz.Actor, incidentID string, in ReviewInput) (Review, error) {
	var v validate.Errors
	for name, p := range map[string]*string{"what_happened": in.WhatHappened, "impact": in.Impact, "root_cause": in.RootCause,
		"went_well": in.WentWell, "to_change": in.ToChange} {
		if p != nil {
			*p = strings.TrimSpace(*p)
			v.MaxLen(name, *p, 100_000)
		}
	}
	var out Review
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		rv, err := s.review(ctx, tx, r, lensOf(a))
		if err != nil {
			return err
		}
		before := reviewSnapshot(rv)
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&rv.WhatHappened, in.WhatHappened)
		set(&rv.Impact, in.Impact)
		set(&rv.RootCause, in.RootCause)
		set(&rv.WentWell, in.WentWell)
		set(&rv.ToChange, in.ToChange)
		now := s.stamp()
		code, text := ReviewSaved, "Post-incident review updated"
		if in.Complete != nil && *in.Complete != rv.Complete {
			if *in.Complete {
				var miss validate.Errors
				if rv.WhatHappened == "" {
					miss.Add("what_happened", "is required to complete the review")
				}
				if rv.Impact == "" {
					miss.Add("impact", "is required to complete the review")
				}
				if rv.RootCause == "" {
					miss.Add("root_cause", "is required to complete the review")
				}
				if err := miss.Err(); err != nil {
					return err
				}
				rv.Complete, rv.CompletedAt, rv.CompletedBy = true, &now, a.AuditActor().Label
				code, text = ReviewCompleted, "Post-incident review completed"
			} else {
				rv.Complete, rv.CompletedAt, rv.CompletedBy = false, nil, ""
				text = "Post-incident review reopened"
			}
		}
		rv.UpdatedAt, rv.UpdatedBy = &now, a.AuditActor().Label
		completedBy := "" // kept as stored unless completed now
		if code == ReviewCompleted {
			completedBy = a.UserID
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO incident_reviews (incident_id, what_happened, impact, root_cause, went_well, to_change, completed_at, completed_by, updated_by, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
			ON CONFLICT (incident_id) DO UPDATE SET what_happened = excluded.what_happened, impact = excluded.impact, root_cause = excluded.root_cause,
			went_well = excluded.went_well, to_change = excluded.to_change, completed_at = excluded.completed_at,
			completed_by = CASE WHEN excluded.completed_at IS NULL THEN '' WHEN excluded.completed_by = '' THEN incident_reviews.completed_by ELSE excluded.completed_by END,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			r.id, rv.WhatHappened, rv.Impact, rv.RootCause, rv.WentWell, rv.ToChange, nullMillis(rv.CompletedAt), completedBy, a.UserID, now.UnixMilli())
		if err != nil {
			return err
		}
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindReview, actor: a.AuditActor(), text: text}); err != nil {
			return err
		}
		out = rv
		return s.touch(ctx, tx, a, r, code, before, reviewSnapshot(rv))
	})
	return out, err
}

func reviewSnapshot(rv Review) map[string]any {
	return map[string]any{"what_happened_sha256": sha256Hex(rv.WhatHappened), "impact_sha256": sha256Hex(rv.Impact),
		"root_cause_sha256": sha256Hex(rv.RootCause), "went_well_sha256": sha256Hex(rv.WentWell), "to_change_sha256": sha256Hex(rv.ToChange),
		"complete": rv.Complete}
}

// NewFollowUp is a follow-up finding of the review: a weakness on one of
// the incident's agencies' systems that must be fixed. Its deadline comes
// from the agency's SLA policy for its severity, as every finding's does.
type NewFollowUp struct {
	SystemID    string `json:"system_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
}

// AddFollowUp opens a finding (source "incident") on a system of one of
// the incident's agencies and links it to the incident as a follow-up, in
// one transaction.
func (s *Service) AddFollowUp(ctx context.Context, a authz.Actor, incidentID string, in NewFollowUp) (FollowUp, error) {
	if err := authz.Check(a, authz.IncidentUpdate, authz.Collection()); err != nil {
		return FollowUp{}, err
	}
	sys, serr := s.registry.System(ctx, a, in.SystemID)
	var out FollowUp
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		if errors.Is(serr, authz.ErrNotFound) || errors.Is(serr, authz.ErrForbidden) {
			return validate.Errors{{Field: "system_id", Message: "no such system"}}
		}
		if serr != nil {
			return serr
		}
		if !r.hasAgency(sys.AgencyID) {
			return validate.Errors{{Field: "system_id", Message: fmt.Sprintf("%s belongs to %s, which is not on this incident", sys.Name, sys.Agency)}}
		}
		if err := authz.Check(a, authz.FindingCreate, authz.Record(sys.AgencyID)); err != nil {
			return err
		}
		f, err := s.findings.CreateTx(ctx, tx, a.AuditActor(), sys, findings.NewFinding{SystemID: sys.ID, Source: "incident", SourceRef: r.id,
			Title: in.Title, Description: in.Description, Severity: in.Severity})
		if err != nil {
			return err
		}
		if err := s.linkFindings(ctx, tx, a, r, []findings.Finding{f}, relationFollowUp); err != nil {
			return err
		}
		out = FollowUp{FindingID: f.ID, Title: f.Title, Severity: f.Severity, Status: f.Status, Agency: f.Agency, SystemID: sys.ID, System: sys.Name, DueAt: f.DueAt}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: FollowUpCreated, Actor: a.AuditActor(), AgencyID: sys.AgencyID, TargetType: "incident",
			TargetID: r.id, After: map[string]any{"finding_id": f.ID, "system_id": sys.ID}})
		return err
	})
	return out, err
}

package findings

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Policy is an agency's remediation deadlines by severity, in days (0 means
// no deadline). BusinessDays counts Monday to Friday only.
type Policy struct {
	Critical     int  `json:"critical_days"`
	High         int  `json:"high_days"`
	Medium       int  `json:"medium_days"`
	Low          int  `json:"low_days"`
	Info         int  `json:"info_days"`
	BusinessDays bool `json:"business_days"`
}

// DefaultPolicy is the IM8 st-5 template: critical 14, high 30, medium and
// low 60 calendar days; informational findings have no deadline.
var DefaultPolicy = Policy{Critical: 14, High: 30, Medium: 60, Low: 60}

// Days returns the deadline in days for a severity.
func (p Policy) Days(severity string) int {
	switch severity {
	case "critical":
		return p.Critical
	case "high":
		return p.High
	case "medium":
		return p.Medium
	case "low":
		return p.Low
	}
	return p.Info
}

// Due returns when a finding of severity found at from must be fixed, or
// nil when the policy sets no deadline.
func (p Policy) Due(from time.Time, severity string) *time.Time {
	n := p.Days(severity)
	if n <= 0 {
		return nil
	}
	d := from.UTC()
	if !p.BusinessDays {
		d = d.AddDate(0, 0, n)
		return &d
	}
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return &d
}

func (p Policy) validate() error {
	var v validate.Errors
	for _, f := range []struct {
		name string
		n    int
	}{{"critical_days", p.Critical}, {"high_days", p.High}, {"medium_days", p.Medium}, {"low_days", p.Low}, {"info_days", p.Info}} {
		if f.n < 0 || f.n > 3650 {
			v.Add(f.name, "must be between 0 and 3650")
		}
	}
	return v.Err()
}

// Policy returns an agency's SLA policy (the default when it set none).
func (s *Service) Policy(ctx context.Context, a authz.Actor, agencyID string) (Policy, error) {
	if _, err := s.registry.Agency(ctx, a, agencyID); err != nil { // checks agency.read; a missing agency is 404
		return Policy{}, err
	}
	return s.policy(ctx, s.db.R(), agencyID)
}

func (s *Service) policy(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, agencyID string) (Policy, error) {
	var p Policy
	err := q.QueryRowContext(ctx, `SELECT critical_days, high_days, medium_days, low_days, info_days, business_days
		FROM sla_policies WHERE agency_id = $1`, agencyID).Scan(&p.Critical, &p.High, &p.Medium, &p.Low, &p.Info, &p.BusinessDays)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPolicy, nil
	}
	return p, err
}

// SetPolicy sets an agency's SLA policy. Deadlines already set on findings
// stay as they were promised; new findings and severity changes use the new
// policy.
func (s *Service) SetPolicy(ctx context.Context, a authz.Actor, agencyID string, p Policy) error {
	if err := authz.Check(a, authz.SLAManage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return err
	}
	if _, err := s.registry.Agency(ctx, a, agencyID); err != nil { // a missing agency is 404, not a failed insert
		return err
	}
	if err := authz.Check(a, authz.SLAManage, authz.Record(agencyID)); err != nil {
		return err
	}
	if err := p.validate(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.policy(ctx, tx, agencyID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sla_policies (agency_id, critical_days, high_days, medium_days, low_days, info_days, business_days, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
			ON CONFLICT (agency_id) DO UPDATE SET critical_days=excluded.critical_days, high_days=excluded.high_days,
			medium_days=excluded.medium_days, low_days=excluded.low_days, info_days=excluded.info_days,
			business_days=excluded.business_days, updated_at=excluded.updated_at`,
			agencyID, p.Critical, p.High, p.Medium, p.Low, p.Info, p.BusinessDays, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.SLAPolicySet, Actor: a.AuditActor(), AgencyID: agencyID,
			TargetType: "agency", TargetID: agencyID, Before: before, After: p})
		return err
	})
}

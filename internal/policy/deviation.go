package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxDeviation is the longest a deviation may be approved for; it is
// renewed (and approved again) to go on.
const MaxDeviation = 3 * 365 * 24 * time.Hour

// Deviation is an agency's departure from a control (IM8 pm-4): asked for
// with a reason and an expiry, approved centrally by someone other than
// who asked. An approved deviation counts as met until it expires; then
// the control is not met again until it is renewed or met.
type Deviation struct {
	ID          string     `json:"id"`
	SystemID    string     `json:"system_id"`
	System      string     `json:"system"`
	AgencyID    string     `json:"agency_id"`
	Agency      string     `json:"agency"`
	ControlID   string     `json:"control_id"`
	Reason      string     `json:"reason"`
	Status      string     `json:"status"` // pending | approved | rejected | expired
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	ApprovedBy  string     `json:"approved_by,omitempty"` // who decided (approved or rejected)
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	Note        string     `json:"note,omitempty"`
	RenewalOf   string     `json:"renewal_of,omitempty"`
	requestedID string
}

const devCols = `d.id, d.system_id, s.name, d.agency_id, a.code, d.control_id, d.reason, d.status, d.requested_by, d.requested_label,
	d.requested_at, d.expires_at, d.decided_label, d.decided_at, d.note, d.renewal_of`

const devFrom = ` FROM plan_deviations d JOIN systems s ON s.id = d.system_id JOIN agencies a ON a.id = d.agency_id`

func scanDeviation(sc store.Scanner) (Deviation, error) {
	var d Deviation
	var req, exp int64
	var decided sql.NullInt64
	err := sc.Scan(&d.ID, &d.SystemID, &d.System, &d.AgencyID, &d.Agency, &d.ControlID, &d.Reason, &d.Status, &d.requestedID,
		&d.RequestedBy, &req, &exp, &d.ApprovedBy, &decided, &d.Note, &d.RenewalOf)
	if errors.Is(err, sql.ErrNoRows) {
		return Deviation{}, authz.ErrNotFound
	}
	d.RequestedAt, d.ExpiresAt = time.UnixMilli(req).UTC(), time.UnixMilli(exp).UTC()
	if decided.Valid {
		t := time.UnixMilli(decided.Int64).UTC()
		d.DecidedAt = &t
	}
	return d, err
}

// DeviationRequest asks for a deviation from a control.
type DeviationRequest struct {
	ControlID string    `json:"control_id"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Service) checkRequest(r DeviationRequest, now time.Time) error {
	var v validate.Errors
	v.Required("reason", r.Reason, 5000)
	switch {
	case r.ExpiresAt.IsZero():
		v.Add("expires_at", "give the date the deviation ends")
	case !r.ExpiresAt.After(now):
		v.Add("expires_at", "must be in the future")
	case r.ExpiresAt.Sub(now) > MaxDeviation:
		v.Add("expires_at", "at most three years ahead; renew it to go on")
	}
	return v.Err()
}

// RequestDeviation asks for a deviation from one of the plan's controls.
func (s *Service) RequestDeviation(ctx context.Context, a authz.Actor, systemID string, r DeviationRequest) (Deviation, error) {
	e, err := s.planFor(ctx, a, authz.PlanUpdate, systemID)
	if err != nil {
		return Deviation{}, err
	}
	if e.catalog == nil {
		return Deviation{}, validate.Errors{{Field: "control_id", Message: "the system's plan has no profile yet"}}
	}
	if _, ok := e.catalog.Control(r.ControlID); !ok {
		return Deviation{}, validate.Errors{{Field: "control_id", Message: fmt.Sprintf("%q is not a control of the plan's profile", r.ControlID)}}
	}
	var d Deviation
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = s.insertDeviation(ctx, tx, a, e.sys, r, "")
		return err
	})
	return d, err
}

func (s *Service) insertDeviation(ctx context.Context, tx *sql.Tx, a authz.Actor, sys sysInfo, r DeviationRequest, renewalOf string) (Deviation, error) {
	now := s.now()
	r.Reason = strings.TrimSpace(r.Reason)
	if err := s.checkRequest(r, now); err != nil {
		return Deviation{}, err
	}
	d := Deviation{ID: id.New(), SystemID: sys.ID, AgencyID: sys.AgencyID, ControlID: r.ControlID, Reason: r.Reason, Status: "pending",
		RequestedBy: a.Email, RequestedAt: now, ExpiresAt: r.ExpiresAt.UTC().Truncate(time.Millisecond), RenewalOf: renewalOf}
	_, err := tx.ExecContext(ctx, `INSERT INTO plan_deviations (id, system_id, agency_id, control_id, reason, status, requested_by,
		requested_label, requested_at, expires_at, renewal_of) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		d.ID, d.SystemID, d.AgencyID, d.ControlID, d.Reason, d.Status, a.UserID, a.Email, now.UnixMilli(), d.ExpiresAt.UnixMilli(), renewalOf)
	if err != nil {
		return Deviation{}, err
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: DeviationAsked, Actor: a.AuditActor(), AgencyID: d.AgencyID,
		TargetType: "plan_deviation", TargetID: d.ID, After: d})
	return d, err
}

// Deviation returns one deviation the caller may see.
func (s *Service) Deviation(ctx context.Context, a authz.Actor, devID string) (Deviation, error) {
	if err := authz.Check(a, authz.PlanRead, authz.Collection()); err != nil {
		return Deviation{}, err
	}
	d, err := scanDeviation(s.db.R().QueryRowContext(ctx, `SELECT `+devCols+devFrom+` WHERE d.id = $1`, devID))
	if err != nil {
		return Deviation{}, err
	}
	if err := authz.Check(a, authz.PlanRead, authz.Record(d.AgencyID)); err != nil {
		return Deviation{}, err
	}
	if d.Status == "approved" && !d.ExpiresAt.After(s.now()) {
		d.Status = "expired"
	}
	return d, nil
}

// DeviationFilter selects deviations.
type DeviationFilter struct {
	Status   string // pending | approved | rejected | expired
	SystemID string
	AgencyID string
	Cursor   string
	Limit    int
}

// Deviations lists a page of the deviations the caller may see, newest
// first.
func (s *Service) Deviations(ctx context.Context, a authz.Actor, f DeviationFilter) (store.Page[Deviation], error) {
	empty := store.Page[Deviation]{Items: []Deviation{}}
	sc, err := authz.ScopeFor(a, authz.PlanRead)
	if err != nil {
		return empty, err
	}
	var w store.Where
	sc.Where(&w, "d.agency_id", "")
	now := s.now()
	switch f.Status {
	case "":
	case "approved":
		w.And("d.status = 'approved' AND d.expires_at > " + w.Arg(now.UnixMilli()))
	case "expired":
		w.And("d.status = 'approved' AND d.expires_at <= " + w.Arg(now.UnixMilli()))
	case "pending", "rejected":
		w.And("d.status = " + w.Arg(f.Status))
	default:
		return empty, validate.Errors{{Field: "status", Message: "one of pending, approved, rejected, expired"}}
	}
	if f.SystemID != "" {
		w.And("d.system_id = " + w.Arg(f.SystemID))
	}
	if f.AgencyID != "" {
		w.And("d.agency_id = " + w.Arg(f.AgencyID))
	}
	page, err := store.List(ctx, s.db.R(), store.ListQuery[Deviation]{SQL: `SELECT ` + devCols + devFrom, Where: &w,
		Keyset: store.Keyset{Keys: []string{"d.requested_at", "d.id"}, Desc: true}, Cursor: f.Cursor, Limit: f.Limit,
		Scan: scanDeviation, Key: func(d Deviation) []any { return []any{d.RequestedAt.UnixMilli(), d.ID} }})
	if err != nil {
		return empty, err
	}
	for i := range page.Items {
		if page.Items[i].Status == "approved" && !page.Items[i].ExpiresAt.After(now) {
			page.Items[i].Status = "expired"
		}
	}
	return page, nil
}

// DecideDeviation approves or rejects a pending deviation. The approver
// must not be the one who asked (IM8 pm-4: approval by another).
func (s *Service) DecideDeviation(ctx context.Context, a authz.Actor, devID string, approve bool, note string) (Deviation, error) {
	if err := authz.Check(a, authz.DeviationApprove, authz.Collection()); err != nil {
		return Deviation{}, err
	}
	d, err := s.Deviation(ctx, a, devID)
	if err != nil {
		return Deviation{}, err
	}
	if err := authz.Check(a, authz.DeviationApprove, authz.Record(d.AgencyID)); err != nil {
		return Deviation{}, err
	}
	if d.Status != "pending" {
		return Deviation{}, fmt.Errorf("%w: the deviation is already %s", validate.ErrConflict, d.Status)
	}
	if d.requestedID == a.UserID {
		return Deviation{}, fmt.Errorf("%w: the one who asked for a deviation cannot decide it; another approver must", validate.ErrConflict)
	}
	if approve && !d.ExpiresAt.After(s.now()) {
		return Deviation{}, fmt.Errorf("%w: the deviation's expiry has passed; ask again with a new date", validate.ErrConflict)
	}
	if len(note) > 5000 {
		return Deviation{}, validate.Errors{{Field: "note", Message: "at most 5000 characters"}}
	}
	before := d
	now := s.now()
	d.Status, d.ApprovedBy, d.DecidedAt, d.Note = "rejected", a.Email, &now, strings.TrimSpace(note)
	code := DeviationRejected
	if approve {
		d.Status, code = "approved", DeviationApproved
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE plan_deviations SET status = $1, decided_by = $2, decided_label = $3, decided_at = $4, note = $5
			WHERE id = $6 AND status = 'pending'`, d.Status, a.UserID, a.Email, now.UnixMilli(), d.Note, d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: the deviation was decided meanwhile", validate.ErrConflict)
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), AgencyID: d.AgencyID,
			TargetType: "plan_deviation", TargetID: d.ID, Before: before, After: d})
		return err
	})
	return d, err
}

// RenewDeviation asks for an approved (or expired) deviation to go on
// until a new date: a new request, approved like the first; the old one
// holds until it expires.
func (s *Service) RenewDeviation(ctx context.Context, a authz.Actor, devID string, expiresAt time.Time, reason string) (Deviation, error) {
	if err := authz.Check(a, authz.PlanUpdate, authz.Collection()); err != nil {
		return Deviation{}, err
	}
	old, err := s.Deviation(ctx, a, devID)
	if err != nil {
		return Deviation{}, err
	}
	if old.Status != "approved" && old.Status != "expired" {
		return Deviation{}, fmt.Errorf("%w: only an approved deviation is renewed (this one is %s)", validate.ErrConflict, old.Status)
	}
	if strings.TrimSpace(reason) == "" {
		reason = old.Reason
	}
	e, err := s.planFor(ctx, a, authz.PlanUpdate, old.SystemID)
	if err != nil {
		return Deviation{}, err
	}
	var d Deviation
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = s.insertDeviation(ctx, tx, a, e.sys, DeviationRequest{ControlID: old.ControlID, Reason: reason, ExpiresAt: expiresAt}, old.ID)
		return err
	})
	return d, err
}

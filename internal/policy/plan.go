package policy

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
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Statuses a control may have in a plan. Deviation is set by an approved
// deviation, never directly.
var Statuses = []string{"implemented", "partial", "planned", "not-applicable", "deviation", "not-assessed"}

// manualStatuses are the statuses an agency records itself.
var manualStatuses = []string{"implemented", "partial", "planned", "not-applicable", "not-assessed"}

// Plan is a system's security plan (contract §10), evaluated now.
type Plan struct {
	SystemID      string        `json:"system_id"`
	System        string        `json:"system"`
	AgencyID      string        `json:"agency_id"`
	Agency        string        `json:"agency"`
	ProfileID     string        `json:"profile_id"`
	ProfileTitle  string        `json:"profile_title"`
	ProfileChosen string        `json:"profile_chosen"` // default | override | none
	ProfileReason string        `json:"profile_reason"`
	Controls      []PlanControl `json:"controls"`
	Counts        ControlCounts `json:"counts"`
	EvaluatedAt   time.Time     `json:"evaluated_at"`
	UpdatedAt     *time.Time    `json:"updated_at"`
	system        registry.System
	uuid          string
	catalog       *oscal.Catalog
}

// PlanControl is one control of a plan: its status and where it comes
// from, the evidence, and what that means (result and reason).
type PlanControl struct {
	ControlID   string      `json:"control_id"`
	Title       string      `json:"title"`
	Family      string      `json:"family"`
	Status      string      `json:"status"`
	Source      string      `json:"source"` // manual | automatic
	Evidence    []string    `json:"evidence"`
	Description string      `json:"description,omitempty"`
	Deviation   *Deviation  `json:"deviation,omitempty"`
	Pending     []Deviation `json:"pending_deviations,omitempty"`
	Result      string      `json:"result"` // met | not_met | not_assessed
	Reason      string      `json:"reason"`
	Explanation string      `json:"explanation,omitempty"` // an automatic control: how kubu decides
}

// planFor checks act on the system's plan and evaluates it.
func (s *Service) planFor(ctx context.Context, a authz.Actor, act authz.Action, systemID string) (evaluated, error) {
	if err := authz.Check(a, act, authz.Collection()); err != nil {
		return evaluated{}, err
	}
	sys, err := s.reg.System(ctx, a, systemID)
	if errors.Is(err, authz.ErrForbidden) {
		err = authz.ErrNotFound
	}
	if err != nil {
		return evaluated{}, err
	}
	if err := authz.Check(a, act, authz.Record(sys.AgencyID)); err != nil {
		return evaluated{}, err
	}
	es, err := s.evaluate(ctx, []sysInfo{{ID: sys.ID, AgencyID: sys.AgencyID, Criticality: sys.Criticality,
		Classification: sys.DataClassification, Hostnames: len(sys.Hostnames)}}, false)
	if err != nil {
		return evaluated{}, err
	}
	return es[0], nil
}

// Plan returns a system's security plan, evaluated now.
func (s *Service) Plan(ctx context.Context, a authz.Actor, systemID string) (Plan, error) {
	e, err := s.planFor(ctx, a, authz.PlanRead, systemID)
	if err != nil {
		return Plan{}, err
	}
	sys, err := s.reg.System(ctx, a, systemID)
	if err != nil {
		return Plan{}, err
	}
	return s.toPlan(ctx, e, sys)
}

func (s *Service) toPlan(ctx context.Context, e evaluated, sys registry.System) (Plan, error) {
	p := Plan{SystemID: sys.ID, System: sys.Name, AgencyID: sys.AgencyID, Agency: sys.Agency, ProfileID: e.profileID,
		ProfileChosen: e.profileChosen, ProfileReason: e.profileReason, Controls: e.controls, Counts: e.counts,
		EvaluatedAt: s.now(), system: sys, catalog: e.catalog}
	if p.Controls == nil {
		p.Controls = []PlanControl{}
	}
	if e.profileID != "" {
		d, err := s.document(ctx, "profile", e.profileID)
		if err != nil {
			return Plan{}, err
		}
		p.ProfileTitle = d.Title
	}
	if e.plan != nil {
		t := time.UnixMilli(e.plan.updatedAt).UTC()
		p.UpdatedAt, p.uuid = &t, e.plan.uuid
	}
	return p, nil
}

// PlanInput changes a plan: the profile (a wog-admin only; "" goes back to
// the default mapping), and the manual controls given (others are kept).
// A control with status deviation and a deviation reason asks for a
// deviation. Automatic controls are kubu's and are skipped, so a plan
// read with GET can be sent back as it is.
type PlanInput struct {
	ProfileID *string            `json:"profile_id"`
	Controls  []PlanControlInput `json:"controls"`
}

// PlanControlInput is one control in a PlanInput.
type PlanControlInput struct {
	ControlID   string          `json:"control_id"`
	Status      string          `json:"status"`
	Source      string          `json:"source"`
	Evidence    []string        `json:"evidence"`
	Description string          `json:"description"`
	Deviation   *DeviationInput `json:"deviation"`
}

// DeviationInput is a deviation as a plan carries it; approved_by is
// read-only (approvals are their own step).
type DeviationInput struct {
	Reason     string    `json:"reason"`
	ApprovedBy string    `json:"approved_by"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// UpdatePlan changes a system's plan and answers it evaluated again.
func (s *Service) UpdatePlan(ctx context.Context, a authz.Actor, systemID string, in PlanInput) (Plan, error) {
	e, err := s.planFor(ctx, a, authz.PlanUpdate, systemID)
	if err != nil {
		return Plan{}, err
	}
	profileChange := in.ProfileID != nil && *in.ProfileID != e.profileID && !(*in.ProfileID == "" && e.profileChosen != "override")
	cat := e.catalog
	if profileChange {
		if err := authz.Check(a, authz.PolicyManage, authz.Collection()); err != nil {
			return Plan{}, fmt.Errorf("%w: only a wog-admin chooses a plan's profile", err)
		}
		if *in.ProfileID != "" {
			if _, err := s.document(ctx, "profile", *in.ProfileID); err != nil {
				return Plan{}, validate.Errors{{Field: "profile_id", Message: "no such profile"}}
			}
			if cat, err = s.controlsOf(ctx, *in.ProfileID); err != nil {
				return Plan{}, err
			}
		} else {
			defaults, err := s.defaultProfileIDs(ctx)
			if err != nil {
				return Plan{}, err
			}
			level, _ := Level(e.sys.Criticality, e.sys.Classification)
			cat = nil
			if defaults[level] != "" {
				if cat, err = s.controlsOf(ctx, defaults[level]); err != nil {
					return Plan{}, err
				}
			}
		}
	}
	current := map[string]PlanControl{}
	for _, c := range e.controls {
		current[c.ControlID] = c
	}
	var manual []PlanControlInput
	var devs []DeviationRequest
	var v validate.Errors
	for i, c := range in.Controls {
		f := fmt.Sprintf("controls[%d]", i)
		if cat == nil {
			v.Add(f+".control_id", "the plan has no profile yet")
			break
		}
		if _, ok := cat.Control(c.ControlID); !ok {
			v.Add(f+".control_id", "%q is not a control of the plan's profile", c.ControlID)
			continue
		}
		cur, had := current[c.ControlID]
		if c.Status == "deviation" || c.Deviation != nil {
			d := c.Deviation
			if d == nil || strings.TrimSpace(d.Reason) == "" {
				if had && cur.Status == "deviation" {
					continue // as read: the deviation stands
				}
				v.Add(f+".deviation.reason", "a deviation needs a reason")
				continue
			}
			if had && deviationKnown(cur, d) {
				if c.Status != "deviation" && c.Status != "" && !isAutomatic(c.ControlID) {
					manual = append(manual, c)
				}
				continue
			}
			devs = append(devs, DeviationRequest{ControlID: c.ControlID, Reason: d.Reason, ExpiresAt: d.ExpiresAt})
			if c.Status == "deviation" || c.Status == "" || isAutomatic(c.ControlID) {
				continue
			}
		}
		if isAutomatic(c.ControlID) {
			continue // kubu's evidence, read-only
		}
		if !slices.Contains(manualStatuses, c.Status) {
			v.Add(f+".status", "one of implemented, partial, planned, not-applicable, not-assessed (deviation comes from an approved deviation)")
			continue
		}
		if len(c.Evidence) > 50 {
			v.Add(f+".evidence", "at most 50 items")
		}
		for _, ev := range c.Evidence {
			if len(ev) > 2000 {
				v.Add(f+".evidence", "each item at most 2000 characters")
				break
			}
		}
		v.MaxLen(f+".description", c.Description, 20000)
		manual = append(manual, c)
	}
	now := s.now()
	for i, d := range devs {
		d.Reason = strings.TrimSpace(d.Reason)
		if err := s.checkRequest(d, now); err != nil {
			var ve validate.Errors
			if errors.As(err, &ve) {
				for _, fe := range ve {
					v.Add(fmt.Sprintf("deviations[%d].%s", i, fe.Field), "%s", fe.Message)
				}
			}
		}
	}
	if err := v.Err(); err != nil {
		return Plan{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.writePlan(ctx, tx, a, e, in, profileChange, manual, devs, now)
	})
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, a, systemID)
}

func isAutomatic(controlID string) bool { _, ok := evaluators[controlID]; return ok }

// deviationKnown reports whether d is the control's current or pending
// deviation sent back as read.
func deviationKnown(c PlanControl, d *DeviationInput) bool {
	same := func(x Deviation) bool {
		return strings.TrimSpace(x.Reason) == strings.TrimSpace(d.Reason) && (d.ExpiresAt.IsZero() || x.ExpiresAt.Equal(d.ExpiresAt))
	}
	if c.Deviation != nil && same(*c.Deviation) {
		return true
	}
	for _, p := range c.Pending {
		if same(p) {
			return true
		}
	}
	return false
}

// manualAudit is a manual control as the audit log keeps it.
type manualAudit struct {
	Status      string   `json:"status"`
	Description string   `json:"description"`
	Evidence    []string `json:"evidence"`
}

func (s *Service) writePlan(ctx context.Context, tx *sql.Tx, a authz.Actor, e evaluated, in PlanInput, profileChange bool,
	manual []PlanControlInput, devs []DeviationRequest, now time.Time) error {
	uuid := oscal.NewUUID()
	if e.plan != nil {
		uuid = e.plan.uuid
	}
	profileID := ""
	if e.plan != nil {
		profileID = e.plan.profileID
	}
	if profileChange {
		profileID = *in.ProfileID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO security_plans (system_id, agency_id, uuid, profile_id, updated_by, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (system_id) DO UPDATE SET profile_id = excluded.profile_id,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		e.sys.ID, e.sys.AgencyID, uuid, profileID, a.UserID, now.UnixMilli())
	if err != nil {
		return err
	}
	if profileChange {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: PlanProfileSet, Actor: a.AuditActor(), AgencyID: e.sys.AgencyID,
			TargetType: "security_plan", TargetID: e.sys.ID,
			Before: map[string]string{"profile_id": e.profileID, "chosen": e.profileChosen}, After: map[string]string{"profile_id": profileID}})
		if err != nil {
			return err
		}
	}
	before, after := map[string]manualAudit{}, map[string]manualAudit{}
	for _, c := range manual {
		if c.Evidence == nil {
			c.Evidence = []string{}
		}
		ev, _ := jsonText(c.Evidence)
		_, err := tx.ExecContext(ctx, `INSERT INTO plan_controls (system_id, control_id, status, description, evidence, updated_by, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (system_id, control_id) DO UPDATE SET status = excluded.status,
			description = excluded.description, evidence = excluded.evidence, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			e.sys.ID, c.ControlID, c.Status, c.Description, ev, a.UserID, now.UnixMilli())
		if err != nil {
			return err
		}
		for _, cur := range e.controls {
			if cur.ControlID == c.ControlID && cur.Source == "manual" {
				before[c.ControlID] = manualAudit{cur.Status, cur.Description, cur.Evidence}
			}
		}
		after[c.ControlID] = manualAudit{c.Status, c.Description, c.Evidence}
	}
	if len(manual) > 0 {
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: PlanUpdated, Actor: a.AuditActor(), AgencyID: e.sys.AgencyID,
			TargetType: "security_plan", TargetID: e.sys.ID, Before: before, After: after}); err != nil {
			return err
		}
	}
	for _, d := range devs {
		if _, err := s.insertDeviation(ctx, tx, a, e.sys, d, ""); err != nil {
			return err
		}
	}
	return nil
}

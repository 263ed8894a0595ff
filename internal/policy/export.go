package policy

import (
	"context"
	"crypto/sha1"
	"fmt"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/validate"
)

// stableUUID is a name-based (version 5) UUID under kubu's namespace, so
// a plan exported twice keeps its uuid.
func stableUUID(name string) string {
	h := sha1.New()
	h.Write([]byte("kubu-security-plan/" + name))
	b := h.Sum(nil)[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// SSP exports a system's plan as an OSCAL system-security-plan. baseURL
// is where the profile is served (its href is baseURL/api/v1/profiles/ID).
func (s *Service) SSP(ctx context.Context, a authz.Actor, systemID, baseURL string) (oscal.SystemSecurityPlan, error) {
	p, err := s.Plan(ctx, a, systemID)
	if err != nil {
		return oscal.SystemSecurityPlan{}, err
	}
	if p.ProfileID == "" {
		return oscal.SystemSecurityPlan{}, fmt.Errorf("%w: the plan has no profile yet (%s)", validate.ErrConflict, p.ProfileReason)
	}
	op := oscal.Plan{SystemID: p.SystemID, SystemName: p.System, Description: p.system.Description, Agency: p.Agency,
		Sensitivity: p.system.DataClassification, ProfileHref: strings.TrimRight(baseURL, "/") + "/api/v1/profiles/" + p.ProfileID,
		LastModified: p.EvaluatedAt, PlanUUID: p.uuid, ThisSystemUUID: stableUUID("this-system/" + p.SystemID),
		InformationTitle: p.System + " information"}
	if op.PlanUUID == "" {
		op.PlanUUID = stableUUID("plan/" + p.SystemID)
	}
	for _, c := range p.Controls {
		pc := oscal.PlanControl{ControlID: c.ControlID, Status: c.Status, Source: c.Source, Evidence: c.Evidence,
			Description: c.Reason}
		if c.Explanation != "" {
			pc.Description = c.Reason + ". " + c.Explanation
		}
		if d := c.Deviation; d != nil {
			pc.Deviation = &oscal.PlanDeviation{Reason: d.Reason, ApprovedBy: d.ApprovedBy, ExpiresAt: d.ExpiresAt}
		}
		op.Controls = append(op.Controls, pc)
	}
	return oscal.SSP(op)
}

// AssessmentResults exports the automatic evidence of a system's plan as
// OSCAL assessment-results: each control kubu assessed, satisfied or not,
// with its evidence. Controls not assessed are left out (no evidence is
// never a pass).
func (s *Service) AssessmentResults(ctx context.Context, a authz.Actor, systemID, baseURL string) (oscal.AssessmentResults, error) {
	p, err := s.Plan(ctx, a, systemID)
	if err != nil {
		return oscal.AssessmentResults{}, err
	}
	as := oscal.Assessment{SystemName: p.System, Start: p.EvaluatedAt, End: p.EvaluatedAt,
		PlanHref: strings.TrimRight(baseURL, "/") + "/api/v1/systems/" + p.SystemID + "/plan?format=oscal"}
	for _, c := range p.Controls {
		if c.Source != "automatic" || c.Result == NotAssessed {
			continue
		}
		as.Controls = append(as.Controls, oscal.AssessedControl{ControlID: c.ControlID, Met: c.Result == Met, Reason: c.Reason,
			Evidence: c.Evidence, Collected: p.EvaluatedAt})
	}
	return oscal.Results(as), nil
}

package authz

import "slices"

// auditTargets says what reads the record an audit entry is about, by the
// entry's target type: an entry is visible with the visibility of its
// target. A target type missing here is seen only by those who read the
// whole log (wog-admin), never by an agency role.
var auditTargets = map[string]Action{
	"agency":           AgencyRead,
	"system":           SystemRead,
	"finding":          FindingRead,
	"user":             UserRead,
	"api_token":        UserRead,
	"intake_token":     IntakeManage,
	"alert":            AlertRead,
	"hunt":             HuntRead,
	"rule":             RuleRead,
	"report":           ReportRead,
	"reward":           RewardRead,
	"programme":        ProgrammeRead,
	"incident":         IncidentRead,
	"evidence":         EvidenceRead,
	"evidence_upload":  EvidenceRead,
	"playbook":         IncidentRead,
	"rotation":         OnCallRead,
	"oncall_policy":    OnCallRead,
	"webhook":          OnCallRead,
	"containment":      ContainmentRead,
	"indicator":        IntelRead,
	"intel_source":     IntelRead,
	"intel_hunt":       HuntRead,
	"feed_token":       FeedRead,
	"scan":             ScanRead,
	"plan":             PlanRead,
	"security_plan":    PlanRead,
	"plan_deviation":   PlanRead,
	"catalog":          PolicyRead,
	"profile":          PolicyRead,
	"import_run":       SystemRead,
	"posture_snapshot": PostureRead,
}

// AuditView is the part of the audit log an actor may read.
type AuditView struct {
	All         bool     // every entry
	AgencyID    string   // else: entries of this agency…
	TargetTypes []string // …about records of these types (sorted)
}

// None reports whether the view admits nothing.
func (v AuditView) None() bool { return !v.All && (v.AgencyID == "" || len(v.TargetTypes) == 0) }

// AuditViewOf returns the audit entries a may read: the whole log for a
// role that reads it all; for an agency role, its agency's entries about
// records it may itself read (so a researcher's email, a report's tracking
// id or a reward's amount, which the agency's roles never see on the
// records, never reach them through the log either). It returns the error
// Check gives for the collection when a may not read the log at all.
func AuditViewOf(a Actor) (AuditView, error) {
	sc, err := ScopeFor(a, AuditRead)
	if err != nil {
		return AuditView{}, err
	}
	if sc.All {
		return AuditView{All: true}, nil
	}
	v := AuditView{AgencyID: sc.AgencyID}
	for typ, act := range auditTargets {
		if Allowed(a, act, Record(sc.AgencyID)) {
			v.TargetTypes = append(v.TargetTypes, typ)
		}
	}
	slices.Sort(v.TargetTypes)
	return v, nil
}

// AuditTargetTypes lists the target types whose visibility authz knows.
func AuditTargetTypes() []string {
	out := make([]string, 0, len(auditTargets))
	for t := range auditTargets {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

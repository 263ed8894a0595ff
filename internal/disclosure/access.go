package disclosure

import (
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

// The audit codes: D reports, G programmes, W rewards, Q researchers.
var (
	ReportSubmitted      = audit.Define("D1000I", "report.submitted")
	ReportStatusChanged  = audit.Define("D1001I", "report.status_changed")
	ReportSeverityChange = audit.Define("D1002I", "report.severity_changed")
	ReportUpdated        = audit.Define("D1003I", "report.updated")
	ReportMessageAdded   = audit.Define("D1004I", "report.message_added")
	ReportAttachment     = audit.Define("D1005I", "report.attachment_added")
	ReportTokenRotated   = audit.Define("D1006I", "report.token_rotated")
	ReportEscalated      = audit.Define("D1007W", "report.escalated")
	ReportDisclosure     = audit.Define("D1008I", "report.disclosure_changed")
	ReportFixedDenied    = audit.Define("D1009W", "report.fixed_then_denied")
	ReportResolved       = audit.Define("D1010I", "report.resolved_by_fix")

	ProgrammeCreated     = audit.Define("G1000I", "programme.created")
	ProgrammeUpdated     = audit.Define("G1001I", "programme.updated")
	ProgrammeRewardTable = audit.Define("G1002I", "programme.reward_table_set")
	ProgrammeInvited     = audit.Define("G1003I", "programme.researcher_invited")

	RewardProposed = audit.Define("W1000I", "reward.proposed")
	RewardApproved = audit.Define("W1001I", "reward.approved")
	RewardRejected = audit.Define("W1002I", "reward.rejected")
	RewardExported = audit.Define("W1003I", "reward.ledger_exported")

	ResearcherRegistered = audit.Define("Q1000I", "researcher.registered")
	ResearcherVerified   = audit.Define("Q1001I", "researcher.verified")
	ResearcherUpdated    = audit.Define("Q1002I", "researcher.profile_updated")
)

// reportResource is what authz checks for a report: its agency, and its
// owner. An anonymous report has no owner, and an empty owner never passes
// an owner grant.
func reportResource(r *Report) authz.Resource {
	return authz.OwnedBy(r.ResearcherID, r.AgencyID)
}

// staffView reports whether a sees a report as the triage team does:
// internal notes, the reporter's contact and the other staff-only fields.
func staffView(a authz.Actor, r *Report) bool {
	return authz.Allowed(a, authz.ReportInternal, reportResource(r))
}

package disclosure

import (
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

var (
	staff  = []authz.Role{authz.WogAdmin, authz.Triager}
	admin  = []authz.Role{authz.WogAdmin}
	owners = []authz.Role{authz.Researcher}
)

// The actions of the community programmes. Staff-only actions have no
// visibility action, so a researcher asking for one gets 404, never a hint.
var (
	ProgrammeRead    = authz.Register("programme.read", []authz.Role{authz.WogAdmin, authz.Triager, authz.Analyst}, nil, owners, "")
	ProgrammeManage  = authz.Register("programme.manage", admin, nil, nil, "")
	ProgrammeInvite  = authz.Register("programme.invite", staff, nil, nil, "")
	ProgrammeMetrics = authz.Register("programme.metrics", []authz.Role{authz.WogAdmin, authz.Triager, authz.Analyst},
		[]authz.Role{authz.AgencyAdmin, authz.AgencyMember}, nil, "")

	ReportRead    = authz.Register("report.read", staff, nil, owners, "")
	ReportSubmit  = authz.Register("report.submit", nil, nil, owners, "")
	ReportComment = authz.Register("report.comment", staff, nil, owners, ReportRead)
	ReportTriage  = authz.Register("report.triage", staff, nil, nil, "")

	RewardRead    = authz.Register("reward.read", staff, nil, owners, "")
	RewardPropose = authz.Register("reward.propose", staff, nil, nil, "")
	RewardApprove = authz.Register("reward.approve", admin, nil, nil, "")
	RewardExport  = authz.Register("reward.export", admin, nil, nil, "")

	ResearcherSelf = authz.Register("researcher.self", nil, nil, owners, "")
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
// owner. Anonymous reports are owned by nobody a researcher can be (an empty
// OwnerID would mean "the collection" and admit every researcher).
func reportResource(r *Report) authz.Resource {
	owner := r.ResearcherID
	if owner == "" {
		owner = "anonymous:" + r.ID
	}
	return authz.Resource{AgencyID: r.AgencyID, OwnerID: owner}
}

func isStaff(a authz.Actor) bool { return a.Role == authz.WogAdmin || a.Role == authz.Triager }

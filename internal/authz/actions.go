package authz

// Action is something a caller wants to do.
type Action string

// The actions. Every action has exactly one policy in the table in
// policies.go; an action missing from the table is denied to everyone, and
// a test checks that every action listed here has a policy. The strings are
// stable: they appear in routes, audit snapshots and tests.
const (
	Public   Action = "public"    // pages and routes anyone may use
	SignedIn Action = "signed-in" // any signed-in user, e.g. their own account and tokens

	// Readiness: agencies, systems, findings.
	AgencyRead   Action = "agency.read"
	AgencyCreate Action = "agency.create"
	AgencyUpdate Action = "agency.update"
	SLAManage    Action = "agency.sla.manage"

	SystemRead   Action = "system.read"
	SystemCreate Action = "system.create"
	SystemUpdate Action = "system.update"
	// HostnameAssign gives a hostname to a system whoever holds it now, and
	// claims names that overlap other agencies' (registry, hostname.go).
	HostnameAssign Action = "hostname.assign"

	FindingRead        Action = "finding.read"
	FindingCreate      Action = "finding.create"
	FindingUpdate      Action = "finding.update"
	FindingComment     Action = "finding.comment"
	FindingRiskRequest Action = "finding.risk.request"
	FindingRiskApprove Action = "finding.risk.approve"

	// People, audit, the platform.
	UserRead   Action = "user.read"
	UserManage Action = "user.manage"
	AuditRead  Action = "audit.read"
	Metrics    Action = "platform.metrics"

	// Log intake. IntakeSend marks the shippers' routes: they authenticate
	// with intake tokens, not user roles, so no role holds it.
	IntakeSend       Action = "intake.send"
	IntakeRead       Action = "intake.read"       // intake counters
	IntakeManage     Action = "intake.manage"     // create, list, revoke intake tokens
	IntakeUnassigned Action = "intake.unassigned" // syslog senders mapped to no agency

	// Detection.
	AlertRead   Action = "alert.read"
	AlertUpdate Action = "alert.update"
	RuleRead    Action = "rule.read"
	RuleManage  Action = "rule.manage"
	HuntRead    Action = "hunt.read"
	HuntCreate  Action = "hunt.create"

	// Community programmes (VDP, bug bounty, VRP).
	ProgrammeRead    Action = "programme.read"
	ProgrammeManage  Action = "programme.manage"
	ProgrammeInvite  Action = "programme.invite"
	ProgrammeMetrics Action = "programme.metrics"
	ReportRead       Action = "report.read"
	ReportSubmit     Action = "report.submit"
	ReportComment    Action = "report.comment"
	ReportTriage     Action = "report.triage"
	ReportInternal   Action = "report.internal" // internal notes and the staff-only fields of a report
	RewardRead       Action = "reward.read"
	RewardPropose    Action = "reward.propose"
	RewardApprove    Action = "reward.approve"
	RewardExport     Action = "reward.export"
	ResearcherSelf   Action = "researcher.self"

	// Incidents (contract §6): records of one or several agencies.
	IncidentRead   Action = "incident.read"
	IncidentCreate Action = "incident.create"
	IncidentUpdate Action = "incident.update" // status, alerts, tasks, observables, timeline
	PlaybookManage Action = "playbook.manage" // the task templates of each incident category

	// On-call: rotations, the escalation policy, webhooks and the pages sent.
	OnCallRead   Action = "oncall.read"
	OnCallManage Action = "oncall.manage"

	// Evidence (contract §8), held for an incident.
	EvidenceRead    Action = "evidence.read"
	EvidenceCreate  Action = "evidence.create"
	EvidenceCustody Action = "evidence.custody" // add to the chain of custody

	// Containment (contract §7).
	ContainmentRead    Action = "containment.read"
	ContainmentRequest Action = "containment.request" // also revoke
	ContainmentApprove Action = "containment.approve"

	// Threat intelligence and the feeds that publish it (contract §7).
	IntelRead   Action = "intel.read"
	IntelManage Action = "intel.manage" // import STIX, add and retire indicators
	FeedRead    Action = "feed.read"    // see what the EDL/RPZ/TAXII feeds publish
	FeedManage  Action = "feed.manage"  // feed tokens

	// External security testing (contract §9).
	ScanRead Action = "scan.read"
	ScanRun  Action = "scan.run"

	// Policies, security plans, imports, posture (contract §10).
	PolicyRead       Action = "policy.read"   // OSCAL catalogs and profiles
	PolicyManage     Action = "policy.manage" // load catalogs and profiles
	PlanRead         Action = "plan.read"     // a system's security plan
	PlanUpdate       Action = "plan.update"
	DeviationApprove Action = "deviation.approve" // approve a plan's deviation from policy
	ImportRun        Action = "import.run"        // import a tool's findings into a system
	PostureRead      Action = "posture.read"      // an agency's posture (central: all, and the whole of government)
	PostureLeague    Action = "posture.league"    // the league table of agencies
)

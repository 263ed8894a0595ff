package authz

// Action is something a caller wants to do.
type Action string

// Actions. Each has exactly one policy in the table below; an action
// missing from the table is denied to everyone (a test checks the table
// covers every action in Actions).
const (
	Public Action = "public" // pages and routes anyone may use

	SignedIn Action = "signed-in" // any signed-in user, e.g. their own account and tokens

	AgencyRead   Action = "agency.read"
	AgencyCreate Action = "agency.create"
	AgencyUpdate Action = "agency.update"
	SLAManage    Action = "agency.sla.manage"

	SystemRead   Action = "system.read"
	SystemCreate Action = "system.create"
	SystemUpdate Action = "system.update"

	FindingRead        Action = "finding.read"
	FindingCreate      Action = "finding.create"
	FindingUpdate      Action = "finding.update"
	FindingComment     Action = "finding.comment"
	FindingRiskRequest Action = "finding.risk.request"
	FindingRiskApprove Action = "finding.risk.approve"

	UserRead   Action = "user.read"
	UserManage Action = "user.manage"

	AuditRead Action = "audit.read"
	Metrics   Action = "platform.metrics"
)

var (
	central  = []Role{WogAdmin, Analyst, Triager}
	agencies = []Role{AgencyAdmin, AgencyMember}
	admins   = []Role{AgencyAdmin}
)

var policies = map[Action]policy{
	Public:   {public: true},
	SignedIn: {authenticated: true},

	AgencyRead:   {global: central, own: agencies},
	AgencyCreate: {global: []Role{WogAdmin}, see: AgencyRead},
	AgencyUpdate: {global: []Role{WogAdmin}, see: AgencyRead},
	SLAManage:    {global: []Role{WogAdmin}, own: admins, see: AgencyRead},

	SystemRead:   {global: central, own: agencies},
	SystemCreate: {global: []Role{WogAdmin}, own: admins, see: SystemRead},
	SystemUpdate: {global: []Role{WogAdmin}, own: admins, see: SystemRead},

	FindingRead:        {global: central, own: agencies},
	FindingCreate:      {global: central, own: agencies, see: SystemRead},
	FindingUpdate:      {global: central, own: agencies, see: FindingRead},
	FindingComment:     {global: central, own: agencies, see: FindingRead},
	FindingRiskRequest: {global: central, own: agencies, see: FindingRead},
	FindingRiskApprove: {global: []Role{WogAdmin}, own: admins, see: FindingRead},

	UserRead:   {global: []Role{WogAdmin}, own: admins},
	UserManage: {global: []Role{WogAdmin}, own: admins, see: UserRead},

	AuditRead: {global: []Role{WogAdmin}, own: admins},
	Metrics:   {global: []Role{WogAdmin}},
}

// Register adds the policy of an action defined by another package (the
// detection, intake and community packages define their own actions). It
// must be called during package initialisation; a duplicate panics.
func Register(act Action, global, own, owner []Role, see Action) Action {
	if _, dup := policies[act]; dup {
		panic("authz: duplicate action " + string(act))
	}
	policies[act] = policy{global: global, own: own, owner: owner, see: see}
	return act
}

// Actions lists every action that has a policy.
func Actions() []Action {
	out := make([]Action, 0, len(policies))
	for a := range policies {
		out = append(out, a)
	}
	return out
}

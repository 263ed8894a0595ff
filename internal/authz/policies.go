package authz

// The role groups the policies are written with. They are the only
// definition of "central", "operations" and so on: no other package tests a
// role for a permission, it asks Check or ScopeOf with an action.
var (
	platformAdmin = roles(WogAdmin)                                              // runs the platform
	central       = roles(WogAdmin, Analyst, Triager)                            // every central role
	operations    = roles(WogAdmin, Analyst)                                     // central 24/7 operations
	triage        = roles(WogAdmin, Triager)                                     // central programme triage
	agencyRoles   = roles(AgencyAdmin, AgencyMember)                             // an agency's people, on their agency's records
	agencyAdmins  = roles(AgencyAdmin)                                           // an agency's administrators
	researchers   = roles(Researcher)                                            // outside reporters, on their own records
	watch         = roles(WogAdmin, Analyst, AgencyAdmin, AgencyMember)          // central operations and every agency's people
	staff         = roles(WogAdmin, Analyst, Triager, AgencyAdmin, AgencyMember) // government staff
)

// policy says who may do an action. A role may appear in at most one of
// global, own and owner (a test checks it).
type policy struct {
	public        bool   // anyone, even anonymous
	authenticated bool   // any signed-in user, whatever the resource
	global        []Role // on every record
	own           []Role // on records of their own agency (among the record's agencies)
	owner         []Role // on records they own
	see           Action // the action that governs visibility: seen but not allowed is 403, not 404
}

// policies is the one table of who may do what.
var policies = map[Action]policy{
	Public:   {public: true},
	SignedIn: {authenticated: true},

	AgencyRead:   {global: central, own: agencyRoles},
	AgencyCreate: {global: platformAdmin, see: AgencyRead},
	AgencyUpdate: {global: platformAdmin, see: AgencyRead},
	SLAManage:    {global: platformAdmin, own: agencyAdmins, see: AgencyRead},

	SystemRead:     {global: central, own: agencyRoles},
	SystemCreate:   {global: platformAdmin, own: agencyAdmins, see: SystemRead},
	SystemUpdate:   {global: platformAdmin, own: agencyAdmins, see: SystemRead},
	HostnameAssign: {global: platformAdmin, see: SystemRead},

	FindingRead:        {global: central, own: agencyRoles},
	FindingCreate:      {global: central, own: agencyRoles, see: SystemRead},
	FindingUpdate:      {global: central, own: agencyRoles, see: FindingRead},
	FindingComment:     {global: central, own: agencyRoles, see: FindingRead},
	FindingRiskRequest: {global: central, own: agencyRoles, see: FindingRead},
	FindingRiskApprove: {global: platformAdmin, own: agencyAdmins, see: FindingRead},

	UserRead:   {global: platformAdmin, own: agencyAdmins},
	UserManage: {global: platformAdmin, own: agencyAdmins, see: UserRead},
	AuditRead:  {global: platformAdmin, own: agencyAdmins},
	Metrics:    {global: platformAdmin},

	IntakeSend:       {},
	IntakeRead:       {global: operations, own: agencyRoles},
	IntakeManage:     {global: platformAdmin, own: agencyAdmins, see: IntakeRead},
	IntakeUnassigned: {global: platformAdmin},

	AlertRead:   {global: operations, own: agencyRoles},
	AlertUpdate: {global: operations, own: agencyRoles, see: AlertRead},
	RuleRead:    {global: watch}, // rules are shared by every agency
	RuleManage:  {global: operations, see: RuleRead},
	HuntRead:    {global: operations, own: agencyRoles},
	HuntCreate:  {global: operations, own: agencyRoles, see: HuntRead},

	ProgrammeRead:    {global: central, owner: researchers},
	ProgrammeManage:  {global: platformAdmin},
	ProgrammeInvite:  {global: triage},
	ProgrammeMetrics: {global: central, own: agencyRoles},
	ReportRead:       {global: triage, owner: researchers},
	ReportSubmit:     {owner: researchers},
	ReportComment:    {global: triage, owner: researchers, see: ReportRead},
	ReportTriage:     {global: triage},
	ReportInternal:   {global: triage},
	RewardRead:       {global: triage, owner: researchers},
	RewardPropose:    {global: triage},
	RewardApprove:    {global: platformAdmin},
	RewardExport:     {global: platformAdmin},
	ResearcherSelf:   {owner: researchers},

	IncidentRead:   {global: operations, own: agencyRoles},
	IncidentCreate: {global: operations, own: agencyRoles, see: IncidentRead},
	IncidentUpdate: {global: operations, own: agencyRoles, see: IncidentRead},
	PlaybookManage: {global: platformAdmin, see: IncidentRead},
	OnCallRead:     {global: operations},
	OnCallManage:   {global: platformAdmin, see: OnCallRead},

	EvidenceRead:    {global: operations, own: agencyRoles},
	EvidenceCreate:  {global: operations, own: agencyRoles, see: EvidenceRead},
	EvidenceCustody: {global: operations, own: agencyRoles, see: EvidenceRead},

	ContainmentRead:    {global: operations, own: agencyRoles},
	ContainmentRequest: {global: operations, own: agencyAdmins, see: ContainmentRead},
	ContainmentApprove: {global: operations, see: ContainmentRead},

	IntelRead:   {global: staff},
	IntelManage: {global: operations, see: IntelRead},
	FeedRead:    {global: operations},
	FeedManage:  {global: platformAdmin, see: FeedRead},

	ScanRead: {global: central, own: agencyRoles},
	ScanRun:  {global: operations, own: agencyAdmins, see: ScanRead},

	PolicyRead:       {global: staff},
	PolicyManage:     {global: platformAdmin, see: PolicyRead},
	PlanRead:         {global: central, own: agencyRoles},
	PlanUpdate:       {global: platformAdmin, own: agencyRoles, see: PlanRead},
	DeviationApprove: {global: platformAdmin, see: PlanRead},
	ImportRun:        {global: central, own: agencyRoles, see: SystemRead},
	PostureRead:      {global: central, own: agencyRoles},
	PostureLeague:    {global: central},
}

func roles(rs ...Role) []Role { return rs }

// Actions lists every action that has a policy.
func Actions() []Action {
	out := make([]Action, 0, len(policies))
	for a := range policies {
		out = append(out, a)
	}
	return out
}

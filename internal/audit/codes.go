package audit

// Code is a stable audit event code. The ID never changes once released
// (tools and people search for it); the Name says what happened. IDs follow
// Teleport's shape: a letter for the area, four digits, and I (information)
// or W (warning).
type Code struct {
	ID   string
	Name string
}

// The audit event codes. Add new ones at the end of their area; never reuse
// or renumber an ID. TestAuditCodes (internal/app) keeps
// internal/app/testdata/audit_codes.golden, the list of every code
// released, in step.
var (
	AgencyCreated = Define("A1000I", "agency.created")
	AgencyUpdated = Define("A1001I", "agency.updated")
	SLAPolicySet  = Define("A1002I", "agency.sla_policy.set")

	SystemCreated = Define("S1000I", "system.created")
	SystemUpdated = Define("S1001I", "system.updated")
	SystemDeleted = Define("S1002W", "system.deleted")
	// A central decision on a hostname (registry.AssignHostname): given to
	// a system, or moved from the system that held it.
	HostnameAssigned = Define("S1003I", "system.hostname.assigned")
	HostnameMoved    = Define("S1004W", "system.hostname.moved")

	FindingCreated           = Define("F1000I", "finding.created")
	FindingUpdated           = Define("F1001I", "finding.updated")
	FindingStatusChanged     = Define("F1002I", "finding.status_changed")
	FindingCommented         = Define("F1003I", "finding.commented")
	FindingRiskRequested     = Define("F1004I", "finding.risk_acceptance.requested")
	FindingRiskApproved      = Define("F1005I", "finding.risk_acceptance.approved")
	FindingRiskRejected      = Define("F1006I", "finding.risk_acceptance.rejected")
	FindingRiskExpired       = Define("F1007W", "finding.risk_acceptance.expired")
	FindingSeverityChanged   = Define("F1008I", "finding.severity_changed")
	FindingDueDateRecomputed = Define("F1009I", "finding.due_date_recomputed")

	UserCreated         = Define("U1000I", "user.created")
	UserUpdated         = Define("U1001I", "user.updated")
	UserDisabled        = Define("U1002W", "user.disabled")
	UserPasswordChanged = Define("U1003I", "user.password_changed")
	UserTOTPEnrolled    = Define("U1004I", "user.totp_enrolled")
	UserTOTPReset       = Define("U1005W", "user.totp_reset")
	UserLogin           = Define("U1006I", "user.login")
	UserLoginFailed     = Define("U1007W", "user.login_failed")
	UserLoginLocked     = Define("U1008W", "user.login_locked")
	UserLogout          = Define("U1009I", "user.logout")
	UserEmailVerified   = Define("U1010I", "user.email_verified")
	UserLinkSent        = Define("U1011I", "user.email_link_sent")
	UserPasswordReset   = Define("U1012I", "user.password_reset")
	UserSessionsEnded   = Define("U1013I", "user.sessions_ended")
	UserLoginThrottled  = Define("U1014W", "user.login_throttled")
	UserIdentityLinked  = Define("U1015I", "user.identity_linked")
	UserPasskeyAdded    = Define("U1016I", "user.passkey_added")
	UserPasskeyRemoved  = Define("U1017W", "user.passkey_removed")
	UserPasskeyCloned   = Define("U1018W", "user.passkey_cloned")

	TokenCreated = Define("T1000I", "api_token.created")
	TokenRevoked = Define("T1001I", "api_token.revoked")

	SettingChanged = Define("P1000I", "setting.changed")
)

var defined = map[string]Code{}
var order []Code

// Define declares a code. Packages declare their codes in package-level
// vars; a duplicate ID or name is a programming error and panics at start.
func Define(id, name string) Code {
	c := Code{ID: id, Name: name}
	if len(id) != 6 || (id[5] != 'I' && id[5] != 'W') {
		panic("audit: malformed code id " + id)
	}
	for _, o := range order {
		if o.ID == id || o.Name == name {
			panic("audit: duplicate code " + id + " " + name)
		}
	}
	defined[id] = c
	order = append(order, c)
	return c
}

// Codes lists every code defined by the packages linked into this binary,
// in definition order.
func Codes() []Code { return append([]Code(nil), order...) }

// Lookup finds a code by ID.
func Lookup(id string) (Code, bool) {
	c, ok := defined[id]
	return c, ok
}

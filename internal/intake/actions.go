package intake

import (
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

var (
	central  = []authz.Role{authz.WogAdmin, authz.Analyst}
	agencies = []authz.Role{authz.AgencyAdmin, authz.AgencyMember}
)

// Actions of the intake.
var (
	// ActSend marks the intake routes. They are authenticated by intake
	// tokens, not by user roles, so no role holds it.
	ActSend = authz.Register("intake.send", nil, nil, nil, "")
	// ActRead: intake counters (tenants see their own agency's).
	ActRead = authz.Register("intake.read", central, agencies, nil, "")
	// ActIntakeManage: create, list and revoke intake tokens.
	ActIntakeManage = authz.Register("intake.manage", []authz.Role{authz.WogAdmin}, []authz.Role{authz.AgencyAdmin}, nil, "intake.read")
	// ActUnassigned: syslog senders no source network maps to an agency.
	ActUnassigned = authz.Register("intake.unassigned", []authz.Role{authz.WogAdmin}, nil, nil, "")
)

// Audit codes of the intake (area E).
var (
	IntakeTokenCreated = audit.Define("E1000I", "intake_token.created")
	IntakeTokenRevoked = audit.Define("E1001I", "intake_token.revoked")
)

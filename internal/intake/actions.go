package intake

import (
	"github.com/kubu-gov/kubu/internal/audit"
)

// Audit codes of the intake (area E).
var (
	IntakeTokenCreated = audit.Define("E1000I", "intake_token.created")
	IntakeTokenRevoked = audit.Define("E1001I", "intake_token.revoked")
)

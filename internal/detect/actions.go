package detect

import (
	"github.com/kubu-gov/kubu/internal/audit"
)

// Audit codes: L for alerts, H for hunts, K for rules.
var (
	AlertAcknowledged = audit.Define("L1000I", "alert.acknowledged")
	AlertAssigned     = audit.Define("L1001I", "alert.assigned")
	AlertClosed       = audit.Define("L1002I", "alert.closed")
	AlertReopened     = audit.Define("L1003I", "alert.reopened")

	HuntCreated   = audit.Define("H1000I", "hunt.started")
	HuntCompleted = audit.Define("H1001I", "hunt.finished")
	HuntAborted   = audit.Define("H1002W", "hunt.failed")

	RuleCreated  = audit.Define("K1000I", "rule.created")
	RuleUpdated  = audit.Define("K1001I", "rule.updated")
	RuleEnabled  = audit.Define("K1002I", "rule.enabled")
	RuleDisabled = audit.Define("K1003W", "rule.disabled")
	RulesLoaded  = audit.Define("K1004I", "rules.loaded_from_files")
)

package incident

import "github.com/kubu-gov/kubu/internal/audit"

// Audit codes: N for incidents, O for on-call. Stable: add new ones at the
// end of their area, never renumber (TestAuditCodes keeps
// internal/app/testdata/audit_codes.golden in step).
var (
	Created         = audit.Define("N1000I", "incident.created")
	Updated         = audit.Define("N1001I", "incident.updated")
	StatusChanged   = audit.Define("N1002I", "incident.status_changed")
	AlertLinked     = audit.Define("N1003I", "incident.alert_linked")
	AlertUnlinked   = audit.Define("N1004I", "incident.alert_unlinked")
	FindingLinked   = audit.Define("N1005I", "incident.finding_linked")
	EntryAdded      = audit.Define("N1006I", "incident.timeline_entry_added")
	TaskAdded       = audit.Define("N1007I", "incident.task_added")
	TaskUpdated     = audit.Define("N1008I", "incident.task_updated")
	ObservableAdded = audit.Define("N1009I", "incident.observable_added")
	ReviewSaved     = audit.Define("N1010I", "incident.review_saved")
	ReviewCompleted = audit.Define("N1011I", "incident.review_completed")
	FollowUpCreated = audit.Define("N1012I", "incident.follow_up_created")
	PlaybookSaved   = audit.Define("N1013I", "incident.playbook_saved")

	RotationSaved   = audit.Define("O1000I", "oncall.rotation_saved")
	RotationDeleted = audit.Define("O1001W", "oncall.rotation_deleted")
	PolicySaved     = audit.Define("O1002I", "oncall.policy_saved")
	WebhookAdded    = audit.Define("O1003I", "oncall.webhook_added")
	WebhookDeleted  = audit.Define("O1004W", "oncall.webhook_deleted")
	PageClaimed     = audit.Define("O1005I", "oncall.page_claimed")
	PageFailed      = audit.Define("O1006W", "oncall.page_failed")
)

package evidence

import "github.com/kubu-gov/kubu/internal/audit"

// Audit codes: V for evidence. Stable: add new ones at the end, never
// renumber (TestAuditCodes keeps testdata/audit_codes.golden in step).
var (
	Received        = audit.Define("V1000I", "evidence.received")
	CustodyRecorded = audit.Define("V1001I", "evidence.custody_recorded")
	ContentRead     = audit.Define("V1002I", "evidence.content_read")
	IntegrityFailed = audit.Define("V1003W", "evidence.integrity_failed")
	BundleExported  = audit.Define("V1004I", "evidence.bundle_exported")
	UploadStarted   = audit.Define("V1005I", "evidence.upload_started")
	UploadAborted   = audit.Define("V1006W", "evidence.upload_aborted")
)

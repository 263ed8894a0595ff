package scanning

import "github.com/kubu-gov/kubu/internal/audit"

// Audit codes of scanning. Stable: never renumber or reuse.
var (
	ScanRequested      = audit.Define("X1000I", "scan.requested")
	ScanScheduled      = audit.Define("X1001I", "scan.scheduled")
	ScanResultRecorded = audit.Define("X1002I", "scan.result_recorded")
	ScanFinished       = audit.Define("X1003I", "scan.finished")
	ScanFailed         = audit.Define("X1004W", "scan.failed")
)

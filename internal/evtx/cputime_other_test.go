//go:build !unix

package evtx

import "time"

// processCPUTime is not available here; the benchmark then reports only
// wall-clock rates.
func processCPUTime() (time.Duration, bool) { return 0, false }

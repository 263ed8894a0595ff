//go:build unix

package evtx

import (
	"syscall"
	"time"
)

// processCPUTime returns the user+system CPU time of this process, so the
// benchmark can report a rate that does not depend on how busy the shared
// machine is.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

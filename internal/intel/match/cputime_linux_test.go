//go:build linux

package match

import (
	"syscall"
	"time"
)

// threadCPUTime is the CPU time of the calling OS thread (the benchmark
// locks itself to one), steadier than wall time on a shared machine.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

//go:build !linux

package match

import "time"

func threadCPUTime() (time.Duration, bool) { return 0, false }

// Package buildinfo holds the version stamped into the binary at build time.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Commit are set with -ldflags "-X …" by the Makefile.
var (
	Version = "dev"
	Commit  = ""
)

// String is the one-line answer of `kubu version`.
func String() string {
	commit := Commit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					commit = s.Value[:12]
				}
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("kubu %s (commit %s, %s)", Version, commit, runtime.Version())
}

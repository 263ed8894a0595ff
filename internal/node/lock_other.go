//go:build !unix

package node

// lock is unavailable here: every process takes a random id.
func lock(string) (func(), error) { return nil, ErrBusy }

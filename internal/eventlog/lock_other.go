//go:build !unix

package eventlog

import (
	"fmt"
	"os"
)

// lockDir only creates dir on systems without flock; the embedded store is
// then not protected against a second process.
func lockDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("eventlog: create store dir: %w", err)
	}
	return func() {}, nil
}

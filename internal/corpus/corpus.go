// Package corpus finds the shared outside data (SigmaHQ rules, regression
// EVTX files, EVTX attack samples, the IM8 catalogue) that tests and
// benchmarks read. The data is never copied into the project: its location
// comes from KUBU_CORPUS_DIR, or defaults to ../shared/corpus beside the
// module root.
package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the environment variable that overrides the corpus location.
const EnvVar = "KUBU_CORPUS_DIR"

// Dir returns the corpus directory, or an error saying where it looked.
func Dir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", errors.New("corpus: " + EnvVar + "=" + d + " is not a directory")
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(dir), "shared", "corpus")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c, nil
			}
			return "", errors.New("corpus: not found at " + c + " (set " + EnvVar + ")")
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("corpus: no go.mod above " + wd + " (set " + EnvVar + ")")
		}
	}
}

// Path returns the corpus path joined with elem, skipping the test or
// benchmark with a clear message when the corpus (or that part of it) is
// absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	d, err := Dir()
	if err != nil {
		tb.Skipf("skipping: shared corpus absent: %v", err)
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("skipping: corpus part %s absent: %v", p, err)
	}
	return p
}

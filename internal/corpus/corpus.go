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

// RequireEnv names the variable that makes a missing corpus a failure
// instead of a skip (CI sets it, as for every service tests need).
const RequireEnv = "KUBU_TEST_REQUIRE_SERVICES"

// Path returns the corpus path joined with elem. When the corpus (or that
// part of it) is absent it skips the test or benchmark with a clear
// message, or fails it when KUBU_TEST_REQUIRE_SERVICES is set.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	missing := func(format string, args ...any) { tb.Skipf("skipping: "+format, args...) }
	if os.Getenv(RequireEnv) != "" {
		missing = func(format string, args ...any) { tb.Fatalf(format+" (and "+RequireEnv+" is set)", args...) }
	}
	d, err := Dir()
	if err != nil {
		missing("shared corpus absent: %v", err)
		return ""
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		missing("corpus part %s absent: %v", p, err)
		return ""
	}
	return p
}

package corpus

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that notes how Path gave up instead of stopping.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

// TestMissingCorpus: a missing corpus skips on a laptop and fails in CI
// (KUBU_TEST_REQUIRE_SERVICES), where a skipped corpus test would hide a
// broken checkout.
func TestMissingCorpus(t *testing.T) {
	t.Setenv(EnvVar, t.TempDir()+"/nowhere")
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Path(r, "evtx")
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without %s: skipped %q, failed %q; want a skip", RequireEnv, r.skipped, r.failed)
	}
	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Path(r, "evtx")
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with %s: skipped %q, failed %q; want a failure", RequireEnv, r.skipped, r.failed)
	}
	t.Setenv(EnvVar, t.TempDir())
	r = &recorder{TB: t}
	Path(r, "no-such-part")
	if r.failed == "" {
		t.Errorf("a missing corpus part with %s set did not fail", RequireEnv)
	}
}

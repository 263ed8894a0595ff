package app_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestObservatoryGrade runs scripts/observatory.sh: kubu's own pages,
// served over HTTPS as a browser reaches them, score A+ on the MDN HTTP
// Observatory (installed by .ci/run into KUBU_OBSERVATORY_DIR).
func TestObservatoryGrade(t *testing.T) {
	dir := os.Getenv("KUBU_OBSERVATORY_DIR")
	if _, err := os.Stat(dir + "/node_modules/@mdn/mdn-http-observatory/src"); dir == "" || err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatalf("the MDN HTTP Observatory is not installed in KUBU_OBSERVATORY_DIR=%q (see .ci/run)", dir)
		}
		t.Skip("the MDN HTTP Observatory is not installed (set KUBU_OBSERVATORY_DIR; .ci/run installs it)")
	}
	runScript(t, "observatory.sh", 3*time.Minute, `"grade":"A+"`)
}

// TestTestsslGrade runs scripts/testssl.sh: kubu's HTTPS and syslog TLS
// listeners offer no weak protocol or suite under testssl.sh. About 90 s,
// so only with KUBU_TEST_HEAVY=1.
func TestTestsslGrade(t *testing.T) {
	if os.Getenv("KUBU_TEST_HEAVY") == "" {
		t.Skip("testssl.sh takes about 90 s: set KUBU_TEST_HEAVY=1")
	}
	if _, err := exec.LookPath("testssl"); err != nil {
		t.Skip("testssl.sh is not installed (Debian: apt-get install testssl.sh)")
	}
	runScript(t, "testssl.sh", 8*time.Minute, "no weak protocol or suite")
}

func runScript(t *testing.T, name string, limit time.Duration, want string) {
	t.Helper()
	bin := buildKubu(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/"+name)
	cmd.Env = append(os.Environ(), "KUBU_BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("scripts/%s: %v\n%s", name, err, out)
	}
	t.Logf("scripts/%s:\n%s", name, out)
}

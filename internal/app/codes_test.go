package app_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestAuditCodes lists every audit event code defined by the packages in
// the binary. Codes are stable: this golden file may only grow. Run with
// -update after adding codes.
func TestAuditCodes(t *testing.T) {
	var b strings.Builder
	for _, c := range audit.Codes() {
		if strings.HasPrefix(c.ID, "Z") { // test-only codes
			continue
		}
		b.WriteString(c.ID + " " + c.Name + "\n")
	}
	got := b.String()
	const path = "testdata/audit_codes.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestAuditCodes -update)", err)
	}
	gotLines := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		gotLines[l] = true
	}
	for _, l := range strings.Split(string(want), "\n") {
		if !gotLines[l] {
			t.Errorf("audit code %q was released and must not change or disappear", l)
		}
	}
	if got != string(want) {
		t.Errorf("new audit codes: run go test ./internal/app -run TestAuditCodes -update and commit the golden file")
	}
}

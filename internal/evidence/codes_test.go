package evidence_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestAuditCodes lists the evidence codes. They are stable: the golden file
// may only grow. (internal/app's golden list gains them when the app links
// this package.)
func TestAuditCodes(t *testing.T) {
	var b strings.Builder
	for _, c := range audit.Codes() {
		if strings.HasPrefix(c.ID, "V") {
			b.WriteString(c.ID + " " + c.Name + "\n")
		}
	}
	const path = "testdata/audit_codes.golden"
	if *update {
		os.WriteFile(path, []byte(b.String()), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if !strings.Contains(b.String(), l+"\n") {
			t.Errorf("audit code %q was released and must not change or disappear", l)
		}
	}
	if b.String() != string(want) {
		t.Errorf("evidence audit codes changed: got\n%s", b.String())
	}
}

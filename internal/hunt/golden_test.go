package hunt

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenRun hunts the hand-written logs under testdata/golden/logs with the
// rules under testdata/golden/rules.
func goldenRun(t *testing.T, opts RuleOptions) *Result {
	t.Helper()
	rules := LoadRules([]string{"testdata/golden/rules"}, opts)
	if len(rules.Failures) > 0 {
		t.Fatalf("rule failures: %+v", rules.Failures)
	}
	res, err := Run(context.Background(), rules, []string{"testdata/golden/logs"}, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestGoldenOutput(t *testing.T) {
	res := goldenRun(t, RuleOptions{})
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, res.Detections); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", "timeline."+format)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", format, path, diff)
			}
		})
	}
}

package app_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
)

// TestEveryAuditTargetHasAVisibility: every target type the code writes to
// the audit log is in authz's table of who may read entries about it (an
// unknown type would be hidden from every agency role, even when the
// record is theirs).
func TestEveryAuditTargetHasAVisibility(t *testing.T) {
	lit := regexp.MustCompile(`TargetType:\s*"([a-z_]+)"`)
	known := authz.AuditTargetTypes()
	seen := 0
	err := filepath.WalkDir(filepath.Join("..", ".."), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !slices.Contains(known, m[1]) {
				t.Errorf("%s writes audit entries about %q, which internal/authz/audit.go does not know", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("found only %d audit target types in the code", seen)
	}
}

package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/registry"
)

// TestImportCommand: `kubu import` reads a SARIF file into a system's
// findings and prints the counts; the same file again creates nothing; a
// missing --system or an unknown format is a usage error (exit 2).
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	a, err := app.Open(context.Background(), &config.Config{DataDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code, name := "MOH", "portal"
	if _, err := a.Registry.CreateAgency(ctx, operator, registry.NewAgency{Code: code, Name: "Ministry of Health"}); err != nil {
		t.Fatal(err)
	}
	sys, err := a.Registry.CreateSystem(ctx, operator, registry.SystemInput{Agency: code, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	file := "../imports/testdata/sarif/v1.sarif"
	for i, want := range []string{`"created": 7`, `"unchanged": 7`} {
		r := run(t, env, "", "import", "--format", "sarif", "--system", sys.ID, file)
		var run importing.Run
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &run) != nil || !strings.Contains(r.stdout, want) {
			t.Fatalf("import %d: %+v, want %s", i+1, r, want)
		}
	}
	if r := run(t, env, "", "import", "--format", "sarif", file); r.code != 2 {
		t.Errorf("without --system: %+v", r)
	}
	if r := run(t, env, "", "import", "--format", "pdf", "--system", sys.ID, file); r.code != 2 || !strings.Contains(r.stderr, "unknown import format") {
		t.Errorf("unknown format: %+v", r)
	}
	if r := run(t, env, "", "import", "--format", "trivy", "--system", sys.ID, file); r.code != 1 || r.stderr == "" {
		t.Errorf("a SARIF file read as Trivy: %+v", r)
	}
}

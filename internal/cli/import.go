package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/imports"
)

// importResults is `kubu import --format F --system ID FILE`: an agency's
// test results (SARIF, Trivy, Nuclei, ZAP, CycloneDX VEX, XCCDF) into
// findings of the system, as POST /api/v1/imports does; it prints the run
// as JSON, with the counts {"created","updated","unchanged","reopened","closed"}.
func importResults(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "import")
	config.Common(fs, &cfg, e.Getenv)
	format := fs.String("format", "", "the file's format: sarif, trivy, nuclei, zap, cyclonedx-vex or xccdf (required)")
	system := fs.String("system", "", "the id of the system the results are of (required)")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one FILE", errUsage)
	}
	f, err := imports.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: --format: %w", errUsage, err)
	}
	if strings.TrimSpace(*system) == "" {
		return fmt.Errorf("%w: --system is required", errUsage)
	}
	fh, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil {
		return err
	} else if st.Size() > importing.MaxBody {
		return fmt.Errorf("%s is larger than 100 MB", fs.Arg(0))
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	run, err := a.Imports.Import(e.Context, operator, *system, f, bufio.NewReaderSize(fh, 256<<10))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

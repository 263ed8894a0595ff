package cli

import (
	"fmt"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
)

// intakeTokenCreate is `kubu intake-token create --agency CODE [--name N]`:
// it prints the new intake token alone (it is shown once; kubu keeps only
// its hash).
func intakeTokenCreate(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "intake-token create")
	config.Common(fs, &cfg, e.Getenv)
	agency := fs.String("agency", "", "code of the agency whose events the token sends (required)")
	name := fs.String("name", "shipper", "a name to recognise the token by (e.g. the shipper's host)")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if *agency == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --agency is required", errUsage)
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	secret, _, err := a.Intake.CreateToken(e.Context, operator, *agency, *name)
	if err != nil {
		return fmt.Errorf("agency %s: %w", *agency, err)
	}
	fmt.Fprintln(e.Stdout, secret)
	return nil
}

package cli

import (
	"fmt"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
)

func serve(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "serve")
	config.Serve(fs, &cfg, e.Getenv)
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	log := logger(e, cfg.LogLevel)
	a, err := app.Open(e.Context, &cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(e.Context, nil)
}

package cli

import (
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
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
	if cfg.Demo {
		seeded, err := demo.Seed(e.Context, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Incidents: a.Incidents}, e.Stdout, uint64(time.Now().UnixNano()))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if !seeded {
			log.Info("demo: the database already has data; not seeding again")
		}
	}
	return a.Serve(e.Context, nil)
}

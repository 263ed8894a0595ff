package cli

import (
	"errors"
	"fmt"
	"net"
	"syscall"
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
	// A busy address fails now, before anything is written to the data
	// dir or the demo is seeded (whose passwords would be shown once and
	// then lost with the failed start).
	if err := addrFree("--addr", cfg.Addr); err != nil {
		return err
	}
	if cfg.IntakeAddr != "" {
		if err := addrFree("--intake-addr", cfg.IntakeAddr); err != nil {
			return err
		}
	}
	log := logger(e, cfg.LogLevel)
	a, err := app.Open(e.Context, &cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	var ready func(addr string)
	if cfg.Demo {
		seeded, err := demo.Seed(e.Context, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Incidents: a.Incidents,
			Disclosure: a.Disclosure, Detect: a.Detect}, e.Stdout, uint64(time.Now().UnixNano()))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if !seeded {
			log.Info("demo: the database already has data; not seeding again")
		} else {
			// The demo's events go through the real intake once it listens,
			// so detection raises the demo's alerts as it would any others.
			ready = func(addr string) {
				go func() {
					n, err := demo.SendEvents(e.Context, a.Intake, "http://"+addr)
					if err != nil {
						log.Error("demo: sending the demo events", "err", err)
						return
					}
					log.Info("demo: events sent through intake", "events", n)
				}()
			}
		}
	}
	return a.Serve(e.Context, ready)
}

// addrFree checks that kubu can listen on addr, naming the address and how
// to choose another when it cannot.
func addrFree(flag, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s is already in use (another kubu or program listens there); choose another address with %s HOST:PORT "+
				"or KUBU_ADDR (with make: make run ADDR=127.0.0.1:18080)", addr, flag)
		}
		return fmt.Errorf("cannot listen on %s (%s): %w", addr, flag, err)
	}
	return ln.Close()
}

// demoCredentials gives the demo accounts new passwords and prints them:
// only password hashes are stored, so this is how to see them again.
func demoCredentials(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "demo credentials")
	config.Common(fs, &cfg, e.Getenv)
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	creds, err := demo.NewPasswords(e.Context, a.Accounts)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, "Demo accounts with new passwords (the old ones no longer work; their sessions have ended):")
	demo.PrintCredentials(e.Stdout, creds)
	return nil
}

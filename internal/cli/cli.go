// Package cli is kubu's command line: it parses a command's flags into the
// typed config and runs it. Exit codes: 0 success, 1 failure (one line on
// stderr), 2 bad usage.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/kubu-gov/kubu/internal/config"
)

// Env is what a command may use from its surroundings.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv config.Getenv
	// Context ends when the process is told to stop (SIGINT/SIGTERM).
	Context context.Context
}

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(e *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web UI, JSON API, intake and detection", serve},
		{"demo credentials", "give the demo accounts new passwords and print them (the demo's passwords are shown once at seeding)", demoCredentials},
		{"user add", "create a user and print its id", userAdd},
		{"token create", "create an API token for a user and print it", tokenCreate},
		{"intake-token create", "create an intake token for an agency's log shippers and print it", intakeTokenCreate},
		{"feed-token create", "create a feed token for a firewall reading the block lists and print it", feedTokenCreate},
		{"intel import", "import threat indicators from a STIX bundle, a MISP event or feed folder, or a CSV/freetext list", intelImport},
		{"import", "import an agency's test results (SARIF, Trivy, Nuclei, ZAP, CycloneDX VEX, XCCDF) into a system's findings", importResults},
		{"audit verify", "check the whole tamper-evident audit log (--checkpoint FILE: and that it extends a checkpoint kept elsewhere)", auditVerify},
		{"audit checkpoint", "sign and print a checkpoint of the audit log, to be kept elsewhere", auditCheckpoint},
		{"backup", "write a backup archive (database snapshot, key, evidence; --events: the event log) while kubu serves", runBackup},
		{"restore", "restore a backup archive into an empty data dir and verify it", runRestore},
		{"healthcheck", "ask a running kubu whether it is healthy (exit 0) or not (exit 1), for container health checks", healthcheck},
		{"verify-bundle", "check a case bundle offline, without a database", verifyBundle},
		{"hunt", "run Sigma rules over .evtx and JSON log files, offline", runHunt},
		{"scan", "scan host names from outside and grade them, offline", runScan},
		{"version", "print the version", version},
	}
}

// Main runs the command named by e.Args and returns the exit code.
func Main(e *Env) int {
	args := e.Args
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			err := c.run(e, args[len(words):])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
				if !errors.Is(err, flag.ErrHelp) && err != errUsage {
					fmt.Fprintln(e.Stderr, "kubu "+c.name+": "+strings.TrimSuffix(err.Error(), ": usage"))
				}
				return 2
			default:
				fmt.Fprintln(e.Stderr, "kubu "+c.name+": "+oneLine(err))
				return 1
			}
		}
	}
	usage(e.Stderr)
	if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		return 0
	}
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kubu COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kubu COMMAND -h' for a command's flags.")
}

// flags returns a flag set that reports errors as usage errors.
func flags(e *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kubu "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	return fs
}

// parse parses args and finishes the config.
func parse(e *Env, fs *flag.FlagSet, cfg *config.Config, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if err := cfg.Finish(e.Getenv); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// logger returns the JSON log on stderr at the configured level.
func logger(e *Env, lv slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(e.Stderr, &slog.HandlerOptions{Level: lv}))
}

// quiet is the logger for short commands: warnings and errors only.
func quiet(e *Env) *slog.Logger { return logger(e, slog.LevelWarn) }

// OSEnv returns the process's environment.
func OSEnv(ctx context.Context) *Env {
	return &Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Context: ctx}
}

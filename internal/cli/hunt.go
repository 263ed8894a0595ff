package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/hunt"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// huntArgs are the parsed flags and inputs of `kubu hunt`.
type huntArgs struct {
	rules        []string
	format       string
	output       string
	check        bool
	stats        string
	minLevel     string
	ruleIDs      []string
	placeholders map[string][]string
	mapping      string
	workers      int
	quiet        bool
	inputs       []string
}

// runHunt runs Sigma rules over log files offline: no server, no database.
func runHunt(e *Env, args []string) error {
	a, err := parseHuntArgs(e, args)
	if err != nil {
		return err
	}
	ropts := hunt.RuleOptions{MinLevel: a.minLevel, RuleIDs: a.ruleIDs, Placeholders: a.placeholders, Workers: a.workers}
	if a.mapping != "" {
		m, err := sigma.LoadMapping(a.mapping)
		if err != nil {
			return fmt.Errorf("--mapping: %w", err)
		}
		ropts.Mapping = m
	}

	start := time.Now()
	rules := hunt.LoadRules(a.rules, ropts)
	load := time.Since(start)
	if a.check {
		b, err := json.Marshal(rules.Check())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.Stdout, "%s\n", b)
		return err
	}
	if rules.Loaded == 0 {
		if !a.quiet {
			rules.WriteRulesSummary(e.Stderr)
		}
		return errors.New("no rules loaded")
	}
	if len(rules.MissingIDs) > 0 {
		return fmt.Errorf("no rule has id %s", strings.Join(rules.MissingIDs, ", "))
	}

	huntStart := time.Now()
	out := e.Stdout
	var file *os.File
	if a.output != "" && a.output != "-" {
		if file, err = os.Create(a.output); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		defer file.Close()
		out = file
	}
	var cnt hunt.Counters
	stop := func() {}
	if !a.quiet && isTerminal(e.Stderr) {
		stop = hunt.StartProgress(e.Stderr, &cnt, 200*time.Millisecond)
	}
	res, err := hunt.Run(e.Context, rules, a.inputs, hunt.RunOptions{Workers: a.workers, Counters: &cnt})
	stop()
	if err != nil {
		return err
	}
	if err := hunt.Write(out, a.format, res.Detections); err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	took := time.Since(huntStart)
	if a.stats != "" {
		if err := res.Stats(load, took).WriteFile(a.stats); err != nil {
			return err
		}
	}
	if !a.quiet {
		res.WriteSummary(e.Stderr, load, took)
	}
	switch n := res.FailedFiles(); {
	case len(res.Files) == 0:
		return errors.New("no .evtx, .json, .jsonl or .ndjson files found in the inputs")
	case n > 0:
		for _, f := range res.Files {
			if f.Err != "" {
				return fmt.Errorf("%d of %d input files could not be read (first: %s: %s)", n, len(res.Files), f.Path, f.Err)
			}
		}
	}
	return nil
}

func parseHuntArgs(e *Env, args []string) (*huntArgs, error) {
	a := &huntArgs{placeholders: map[string][]string{}}
	var cfg config.Config
	fs := flags(e, "hunt")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kubu hunt --rules PATH [--rules PATH]… [flags] INPUT…")
		fmt.Fprintln(fs.Output(), "       kubu hunt --rules PATH… --check")
		fmt.Fprintln(fs.Output(), "\nINPUT: .evtx, .json, .jsonl or .ndjson files, or folders (searched recursively).")
		fs.PrintDefaults()
	}
	config.Common(fs, &cfg, e.Getenv) // accepted like every command's; hunt uses neither
	fs.Func("rules", "Sigma rule file or folder (repeatable, required)", func(s string) error {
		a.rules = append(a.rules, s)
		return nil
	})
	fs.StringVar(&a.format, "format", "jsonl", "output format: "+strings.Join(hunt.Formats, ", "))
	fs.StringVar(&a.output, "output", "", "write detections to this file instead of standard output")
	fs.BoolVar(&a.check, "check", false, "only load the rules and print {rules_loaded, rules_failed, failures} as JSON")
	fs.StringVar(&a.stats, "stats", "", "write run statistics as JSON to this file when done")
	fs.StringVar(&a.minLevel, "min-level", "", "report only rules of this level or higher: informational, low, medium, high, critical")
	fs.Func("rule-id", "run only the rule with this id or name (repeatable)", func(s string) error {
		a.ruleIDs = append(a.ruleIDs, s)
		return nil
	})
	fs.Func("placeholder", "NAME=VALUE for the expand modifier's %NAME% (repeatable; a name given again adds a value)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return errors.New("want NAME=VALUE")
		}
		a.placeholders[name] = append(a.placeholders[name], value)
		return nil
	})
	fs.StringVar(&a.mapping, "mapping", "", "YAML log source and field mapping (extends the built-in Windows mapping)")
	fs.IntVar(&a.workers, "workers", 0, "matching goroutines (default: one per core)")
	fs.BoolVar(&a.quiet, "quiet", false, "no summary or progress bar on standard error")

	// Flags may come before, between or after the inputs.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			a.inputs = append(a.inputs, rest...)
			break
		}
		a.inputs = append(a.inputs, rest[0])
		args = rest[1:]
	}

	switch {
	case len(a.rules) == 0:
		return nil, fmt.Errorf("%w: --rules is required", errUsage)
	case !slices.Contains(hunt.Formats, a.format):
		return nil, fmt.Errorf("%w: --format must be one of %s", errUsage, strings.Join(hunt.Formats, ", "))
	case a.minLevel != "" && !severity.ValidLevel(a.minLevel):
		return nil, fmt.Errorf("%w: --min-level must be informational, low, medium, high or critical", errUsage)
	case a.workers < 0:
		return nil, fmt.Errorf("%w: --workers must not be negative", errUsage)
	case a.check && len(a.inputs) > 0:
		return nil, fmt.Errorf("%w: --check takes no inputs", errUsage)
	case !a.check && len(a.inputs) == 0:
		return nil, fmt.Errorf("%w: no inputs (files or folders to hunt through)", errUsage)
	}
	return a, nil
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

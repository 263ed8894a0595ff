package hunt

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// Summary lists are capped at these lengths.
const (
	maxListed   = 10
	topRulesLen = 10
)

// Stats is the --stats file's content.
type Stats struct {
	Files         int     `json:"files"`
	Records       int     `json:"records"`
	RecordsFailed int     `json:"records_failed"`
	RulesLoaded   int     `json:"rules_loaded"`
	Detections    int     `json:"detections"`
	LoadSeconds   float64 `json:"load_seconds"`
	Seconds       float64 `json:"seconds"`
}

// Stats sums up a run; load is the time spent reading and compiling the
// rules, hunt the time spent after that.
func (r *Result) Stats(load, hunt time.Duration) Stats {
	return Stats{
		Files:         len(r.Files),
		Records:       r.Records,
		RecordsFailed: r.RecordsFailed,
		RulesLoaded:   r.Rules.Loaded,
		Detections:    len(r.Detections),
		LoadSeconds:   load.Seconds(),
		Seconds:       hunt.Seconds(),
	}
}

// WriteFile writes the stats as one JSON object to path.
func (s Stats) WriteFile(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

// CheckReport is the output of `kubu hunt --check`.
type CheckReport struct {
	RulesLoaded int       `json:"rules_loaded"`
	RulesFailed int       `json:"rules_failed"`
	Failures    []Failure `json:"failures"`
}

// Check reports how loading went.
func (rs *Rules) Check() CheckReport {
	f := rs.Failures
	if f == nil {
		f = []Failure{}
	}
	return CheckReport{RulesLoaded: rs.Loaded, RulesFailed: len(f), Failures: f}
}

// WriteRulesSummary writes the rule-loading part of the summary.
func (rs *Rules) WriteRulesSummary(w io.Writer) {
	fmt.Fprintf(w, "rules: %d loaded from %d files, %d failed\n", rs.Loaded, rs.Files, len(rs.Failures))
	for i, f := range rs.Failures {
		if i == maxListed {
			fmt.Fprintf(w, "  … and %d more failures (kubu hunt --check lists them all)\n", len(rs.Failures)-maxListed)
			break
		}
		fmt.Fprintf(w, "  failed: %s: %s\n", f.File, f.Error)
	}
	for _, s := range rs.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
	if len(rs.MissingIDs) > 0 {
		fmt.Fprintf(w, "  no rule has id %s\n", strings.Join(rs.MissingIDs, ", "))
	}
}

// WriteSummary writes the end-of-run summary: rules loaded and failed,
// files and records, detections by level, the top rules and the speed.
func (r *Result) WriteSummary(w io.Writer, load, hunt time.Duration) {
	r.Rules.WriteRulesSummary(w)
	failed := r.FailedFiles()
	fmt.Fprintf(w, "inputs: %d files (%d unreadable), %d records (%d failed)\n",
		len(r.Files), failed, r.Records, r.RecordsFailed)
	listed, warned := 0, 0
	for _, f := range r.Files {
		if f.Err != "" {
			if listed < maxListed {
				fmt.Fprintf(w, "  unreadable: %s: %s\n", f.Path, f.Err)
			}
			listed++
		}
		if len(f.Warnings) > 0 {
			if warned < maxListed {
				more := ""
				if n := len(f.Warnings) - 1 + f.WarningsDropped; n > 0 {
					more = fmt.Sprintf(" (and %d more)", n)
				}
				fmt.Fprintf(w, "  damaged: %s%s\n", f.Warnings[0], more)
			}
			warned++
		}
	}
	if listed > maxListed {
		fmt.Fprintf(w, "  … and %d more unreadable files\n", listed-maxListed)
	}
	if warned > maxListed {
		fmt.Fprintf(w, "  … and %d more damaged files\n", warned-maxListed)
	}

	byLevel := map[string]int{}
	byRule := map[*sigma.Rule]int{}
	for i := range r.Detections {
		byLevel[severity.Level(r.Detections[i].Rule.Level)]++
		byRule[r.Detections[i].Rule]++
	}
	var parts []string
	for i := len(severity.Levels) - 1; i >= 0; i-- {
		if n := byLevel[severity.Levels[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", severity.Levels[i], n))
		}
	}
	fmt.Fprintf(w, "detections: %d", len(r.Detections))
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	top := make([]*sigma.Rule, 0, len(byRule))
	for rule := range byRule {
		top = append(top, rule)
	}
	slices.SortFunc(top, func(a, b *sigma.Rule) int {
		if c := cmp.Compare(byRule[b], byRule[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(severity.LevelRank(b.Level), severity.LevelRank(a.Level)); c != 0 {
			return c
		}
		return cmp.Compare(a.Title, b.Title)
	})
	if len(top) > 0 {
		fmt.Fprintln(w, "top rules:")
	}
	for i, rule := range top {
		if i == topRulesLen {
			fmt.Fprintf(w, "  … and %d more rules\n", len(top)-topRulesLen)
			break
		}
		fmt.Fprintf(w, "  %7d  %-13s %s\n", byRule[rule], rule.Level, cell(rule.Title, 100))
	}
	rate := ""
	if s := hunt.Seconds(); s > 0 {
		rate = fmt.Sprintf(", %.0f records/s", float64(r.Records)/s)
	}
	fmt.Fprintf(w, "time: rules %.2fs, hunt %.2fs%s\n", load.Seconds(), hunt.Seconds(), rate)
}

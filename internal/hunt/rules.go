package hunt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// RuleOptions configure LoadRules.
type RuleOptions struct {
	// MinLevel drops rules below this level (informational < low <
	// medium < high < critical); empty keeps every level.
	MinLevel string
	// RuleIDs keeps only the rules with these ids (or names); empty
	// keeps every rule.
	RuleIDs []string
	// Placeholders gives the values of %name% placeholders for the
	// expand modifier. A placeholder without values is an empty list.
	Placeholders map[string][]string
	// Mapping routes rules to events; nil is the built-in Windows mapping.
	Mapping *sigma.Mapping
	// Workers parse rule files in parallel; 0 means GOMAXPROCS.
	Workers int
}

// Failure is a rule (or rule file) that could not be loaded.
type Failure struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// Rules is a loaded, compiled rule set and what went wrong loading it.
type Rules struct {
	Set *sigma.Set
	// Files is the number of rule files read.
	Files int
	// Loaded counts the rules (Sigma documents) compiled into Set.
	Loaded int
	// Failures lists the rules that could not be parsed or compiled, in
	// file order.
	Failures []Failure
	// Warnings are problems that did not stop a rule from loading.
	Warnings []string
	// MissingIDs are RuleIDs that named no loaded rule.
	MissingIDs []string

	// report holds the rules whose matches are shown: selected by the
	// filters and not only feeding a correlation.
	report map[*sigma.Rule]bool
}

// Reported reports whether matches of r are shown in the output.
func (rs *Rules) Reported(r *sigma.Rule) bool { return rs.report[r] }

// LoadRules reads the Sigma rule files and folders in paths and compiles
// the rules the options select. It never fails as a whole: what could not
// be loaded is listed in Failures (a missing path too).
func LoadRules(paths []string, opts RuleOptions) *Rules {
	rs := &Rules{report: map[*sigma.Rule]bool{}}
	files, fails := ruleFiles(paths)
	rs.Failures = append(rs.Failures, fails...)
	rs.Files = len(files)

	parsed := parseFiles(files, opts.Workers)
	var all []*sigma.Rule
	for _, p := range parsed {
		for _, err := range p.errs {
			rs.Failures = append(rs.Failures, failureOf(p.file, err))
		}
		for _, r := range p.rules {
			all = append(all, r)
		}
	}

	sel, selected := selectRules(all, opts.MinLevel, opts.RuleIDs)
	rs.MissingIDs = missingIDs(all, opts.RuleIDs)
	var chosen []*sigma.Rule
	for _, r := range all {
		if sel[r] {
			chosen = append(chosen, r)
		}
	}

	copts := sigma.Options{Mapping: opts.Mapping, Placeholders: opts.Placeholders, EmptyMissingPlaceholders: true}
	set, err := sigma.Compile(chosen, copts)
	rs.Set = set
	rs.Warnings = append(rs.Warnings, placeholderWarnings(set)...)
	failed := map[*sigma.Rule]bool{}
	if err != nil {
		for _, e := range unjoin(err) {
			rs.Failures = append(rs.Failures, failureOf("", e))
			var le *sigma.LoadError
			if errors.As(e, &le) {
				for _, r := range chosen {
					if r.File == le.File && r.Line == le.Line {
						failed[r] = true
					}
				}
			}
		}
	}
	for _, r := range chosen {
		if !failed[r] {
			rs.Loaded++
		}
	}
	for _, r := range append(set.Rules(), set.Correlations()...) {
		if selected[r] && set.Standalone(r) {
			rs.report[r] = true
		}
	}
	return rs
}

// ruleFiles expands paths into rule files: a file is taken as it is, a
// folder is walked for .yml and .yaml files (hidden folders skipped).
// Duplicates are dropped; folders are listed in lexical order.
func ruleFiles(paths []string) ([]string, []Failure) {
	var files []string
	var fails []Failure
	seen := map[string]bool{}
	add := func(p string) {
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			fails = append(fails, Failure{File: root, Error: errText(err)})
			continue
		}
		if !st.IsDir() {
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				fails = append(fails, Failure{File: p, Error: errText(err)})
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".yml" || ext == ".yaml" {
				add(p)
			}
			return nil
		})
		if err != nil {
			fails = append(fails, Failure{File: root, Error: errText(err)})
		}
	}
	return files, fails
}

type parsedFile struct {
	file  string
	rules []*sigma.Rule
	errs  []error
}

// parseFiles parses rule files on several goroutines, keeping file order.
func parseFiles(files []string, workers int) []parsedFile {
	out := make([]parsedFile, len(files))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				out[i] = parseFile(files[i])
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func parseFile(path string) parsedFile {
	p := parsedFile{file: path}
	data, err := os.ReadFile(path)
	if err != nil {
		p.errs = []error{err}
		return p
	}
	p.rules, p.errs = sigma.Parse(path, data)
	return p
}

// failureOf turns a load error into a Failure; file is used when the
// error does not name one.
func failureOf(file string, err error) Failure {
	var le *sigma.LoadError
	if !errors.As(err, &le) {
		return Failure{File: file, Error: errText(err)}
	}
	var b strings.Builder
	if le.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", le.Line)
	}
	if le.Title != "" {
		fmt.Fprintf(&b, "rule %q: ", le.Title)
	}
	b.WriteString(errText(le.Err))
	f := le.File
	if f == "" {
		f = file
	}
	return Failure{File: f, Error: b.String()}
}

// errText is an error's message on one line.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// selectRules returns the rules to compile and, among them, those
// selected by the filters. A kept correlation also keeps the rules it
// refers to (transitively); meta filters are always kept.
func selectRules(all []*sigma.Rule, minLevel string, ids []string) (keep, selected map[*sigma.Rule]bool) {
	keep, selected = map[*sigma.Rule]bool{}, map[*sigma.Rule]bool{}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	min := 0 // no --min-level: every rule
	if minLevel != "" {
		min = severity.LevelRank(minLevel)
	}
	byRef := map[string][]*sigma.Rule{}
	for _, r := range all {
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				byRef[k] = append(byRef[k], r)
			}
		}
	}
	var queue []*sigma.Rule
	for _, r := range all {
		if r.Filter != nil {
			keep[r] = true
			continue
		}
		if severity.LevelRank(r.Level) < min || (len(want) > 0 && !want[r.ID] && !want[r.Name]) {
			continue
		}
		selected[r] = true
		keep[r] = true
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		if r.Correlation == nil {
			continue
		}
		for _, ref := range r.Correlation.Rules {
			for _, dep := range byRef[ref] {
				if !keep[dep] {
					keep[dep] = true
					queue = append(queue, dep)
				}
			}
		}
	}
	return keep, selected
}

// missingIDs lists the ids asked for that no parsed rule has.
func missingIDs(all []*sigma.Rule, ids []string) []string {
	have := map[string]bool{}
	for _, r := range all {
		have[r.ID], have[r.Name] = true, true
	}
	var out []string
	for _, id := range ids {
		if !have[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

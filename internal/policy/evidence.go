package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/oscal"
)

// The results of a control.
const (
	Met         = "met"
	NotMet      = "not_met"
	NotAssessed = "not_assessed"
)

// facts are what kubu knows about one system when it evaluates the
// automatic controls. A false known flag means the source is not wired.
type facts struct {
	now       time.Time
	hostnames int

	scansKnown bool
	scans      []NameScan
	scanGrace  time.Duration

	vdpKnown, inVDP bool

	logsKnown  bool
	logs       map[string]time.Time
	logsWithin time.Duration

	importsKnown bool
	imported     time.Time
	importedOK   bool
	penTestDays  int

	deadlinesKnown bool
	deadlines      findings.Deadlines
	window         time.Duration
}

// verdict is an automatic control's result with its reason and evidence.
type verdict struct {
	result   string
	reason   string
	evidence []string
}

// evaluator evidences one IM8 control from kubu's data.
type evaluator struct {
	explain string // how kubu decides, shown on the plan page
	eval    func(f facts, c *oscal.Catalog) verdict
}

// evaluators are the controls kubu evidences itself, by their IM8 Reform
// catalogue ids (shared/corpus/im8/im8-reform.json). No evidence is
// not_assessed, never met.
var evaluators = map[string]evaluator{
	"st-1":  {"Met when every scan target of the system was scanned by kubu's external scanner within its cadence (the interval its risk sets, plus a day's grace); not met when one is late.", evalScans},
	"st-3":  {"Met when the system is in the scope of the open Vulnerability Disclosure Programme and its web names serve a valid security.txt (from the latest scans).", evalVDP},
	"st-4":  {"Met when a test result (e.g. a penetration test) was imported for the system within the control's period (its parameter, else 365 days).", evalPenTest},
	"st-5":  {"Met when no open finding of the system is past its agency's deadline and none was fixed late in the window; not met otherwise.", evalDeadlines},
	"ns-6":  {"Met when the latest scans of the system's names find their certificates valid, trusted, matching and strong (no expired, self-signed, untrusted, mismatched, weak-key or SHA-1 certificate).", evalCerts},
	"lm-12": {"Met when the system's hosts send logs to kubu's central intake (an event within the last day from each host that has ever sent); not met when one fell silent.", evalLogs},
}

// Explanation is how kubu evidences an automatic control ("" for a manual one).
func Explanation(controlID string) string { return evaluators[controlID].explain }

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func evalScans(f facts, _ *oscal.Catalog) verdict {
	switch {
	case !f.scansKnown:
		return verdict{NotAssessed, "external scanning is not running on this server", nil}
	case f.hostnames == 0:
		return verdict{NotAssessed, "the system has no hostnames to scan", nil}
	}
	var late, ok []string
	for _, n := range f.scans {
		due := n.NextDueAt.Add(f.scanGrace)
		switch {
		case n.ScannedAt.IsZero() && !n.NextDueAt.IsZero() && f.now.After(due):
			late = append(late, fmt.Sprintf("%s: never scanned, due since %s", n.Hostname, ts(n.NextDueAt)))
		case n.ScannedAt.IsZero():
		case f.now.After(due):
			late = append(late, fmt.Sprintf("%s: last scanned %s, due again %s", n.Hostname, ts(n.ScannedAt), ts(n.NextDueAt)))
		default:
			ok = append(ok, fmt.Sprintf("%s: scanned %s, next due %s", n.Hostname, ts(n.ScannedAt), ts(n.NextDueAt)))
		}
	}
	switch {
	case len(late) > 0:
		return verdict{NotMet, "scans are late: " + strings.Join(late, "; "), append(late, ok...)}
	case len(ok) == 0:
		return verdict{NotAssessed, "no scan of the system's names has finished yet", nil}
	}
	return verdict{Met, fmt.Sprintf("%d name(s) scanned within the cadence", len(ok)), ok}
}

// fromScans reads one IM8 verdict from the latest scans of each name.
func fromScans(f facts, control, what string) (met, failed []string) {
	for _, n := range f.scans {
		if n.ScannedAt.IsZero() {
			continue
		}
		switch n.IM8[control] {
		case "met":
			met = append(met, fmt.Sprintf("%s: %s (scan of %s)", n.Hostname, what, ts(n.ScannedAt)))
		case "not-met":
			failed = append(failed, fmt.Sprintf("%s: not %s (scan of %s)", n.Hostname, what, ts(n.ScannedAt)))
		}
	}
	return met, failed
}

func evalVDP(f facts, _ *oscal.Catalog) verdict {
	switch {
	case !f.vdpKnown:
		return verdict{NotAssessed, "the community programmes are not running on this server", nil}
	case !f.inVDP:
		return verdict{NotMet, "the system is not in the scope of an open Vulnerability Disclosure Programme", nil}
	case !f.scansKnown:
		return verdict{NotAssessed, "in the VDP's scope, but external scanning (which checks security.txt) is not running", []string{"in the scope of the open VDP"}}
	}
	met, failed := fromScans(f, "st-3", "serving a valid security.txt")
	ev := append([]string{"in the scope of the open VDP"}, append(failed, met...)...)
	switch {
	case len(failed) > 0:
		return verdict{NotMet, "security.txt is missing or invalid: " + strings.Join(failed, "; "), ev}
	case len(met) == 0:
		return verdict{NotAssessed, "in the VDP's scope, but no web scan has checked security.txt yet", ev}
	}
	return verdict{Met, "in the VDP's scope and every web name serves a valid security.txt", ev}
}

// paramDays reads a whole number of days from a control parameter's value
// in the plan's profile, or def.
func paramDays(c *oscal.Catalog, paramID string, def int) int {
	if c != nil {
		if p, ok := c.Param(paramID); ok && len(p.Values) == 1 {
			if n, err := strconv.Atoi(strings.TrimSpace(p.Values[0])); err == nil && n > 0 {
				return n
			}
		}
	}
	return def
}

func evalPenTest(f facts, c *oscal.Catalog) verdict {
	days := paramDays(c, "st-4_prm_1", f.penTestDays)
	switch {
	case !f.importsKnown:
		return verdict{NotAssessed, "imports of test results are not running on this server", nil}
	case !f.importedOK:
		return verdict{NotAssessed, "no test result has been imported for the system", nil}
	}
	ev := []string{"latest test result imported " + ts(f.imported)}
	if age := f.now.Sub(f.imported); age > time.Duration(days)*24*time.Hour {
		return verdict{NotMet, fmt.Sprintf("the latest test result was imported %d days ago; the control asks for one every %d days", int(age.Hours()/24), days), ev}
	}
	return verdict{Met, fmt.Sprintf("a test result was imported within %d days", days), ev}
}

func evalDeadlines(f facts, _ *oscal.Catalog) verdict {
	d := f.deadlines
	if !f.deadlinesKnown || d.Total() == 0 {
		return verdict{NotAssessed, fmt.Sprintf("the system has no open findings and none closed in the last %d days to show deadlines", int(f.window.Hours()/24)), nil}
	}
	ev := []string{fmt.Sprintf("%d open finding(s), %d overdue", d.Open, d.Overdue),
		fmt.Sprintf("%d closed in time and %d closed late in the last %d days", d.ClosedInTime, d.ClosedLate, int(f.window.Hours()/24))}
	var why []string
	if d.Overdue > 0 {
		s := fmt.Sprintf("%d open finding(s) past their deadline", d.Overdue)
		if d.OldestDue != nil {
			s += " (the oldest due " + ts(*d.OldestDue) + ")"
		}
		why = append(why, s)
	}
	if d.ClosedLate > 0 {
		why = append(why, fmt.Sprintf("%d finding(s) fixed after their deadline", d.ClosedLate))
	}
	if len(why) > 0 {
		return verdict{NotMet, strings.Join(why, "; "), ev}
	}
	return verdict{Met, "every finding is within its agency's deadline", ev}
}

func evalCerts(f facts, _ *oscal.Catalog) verdict {
	if !f.scansKnown {
		return verdict{NotAssessed, "external scanning is not running on this server", nil}
	}
	met, failed := fromScans(f, "ns-6", "a valid, trusted and strong certificate")
	switch {
	case len(failed) > 0:
		return verdict{NotMet, "certificate problems: " + strings.Join(failed, "; "), append(failed, met...)}
	case len(met) == 0:
		return verdict{NotAssessed, "no scan has examined a certificate of the system yet", nil}
	}
	return verdict{Met, "every certificate scanned is valid, trusted and strong", met}
}

func evalLogs(f facts, _ *oscal.Catalog) verdict {
	switch {
	case !f.logsKnown:
		return verdict{NotAssessed, "log intake is not running on this server", nil}
	case len(f.logs) == 0:
		return verdict{NotAssessed, "no events have arrived from the system's hosts", nil}
	}
	hosts := make([]string, 0, len(f.logs))
	for h := range f.logs {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var silent, ok []string
	for _, h := range hosts {
		at := f.logs[h]
		if f.now.Sub(at) > f.logsWithin {
			silent = append(silent, fmt.Sprintf("%s: silent since %s", h, ts(at)))
		} else {
			ok = append(ok, fmt.Sprintf("%s: last event %s", h, ts(at)))
		}
	}
	if len(silent) > 0 {
		return verdict{NotMet, "hosts stopped sending logs: " + strings.Join(silent, "; "), append(silent, ok...)}
	}
	return verdict{Met, fmt.Sprintf("%d host(s) sending logs", len(ok)), ok}
}

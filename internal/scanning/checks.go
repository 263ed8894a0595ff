package scanning

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/grade"
)

// family is the part of a scan that measures a check.
func family(check string) string {
	prefix, _, _ := strings.Cut(check, ".")
	switch prefix {
	case "https", "hsts", "headers":
		return "web"
	case "security-txt":
		return "security.txt"
	case "tls", "cert":
		return "tls"
	case "dnssec":
		return "dns"
	case "mail", "spf", "dmarc":
		return "mail"
	}
	return prefix
}

// measured says whether a result measured a family of checks fully, so
// that a check of it missing from the result's findings passed. A part
// that does not apply (no address: no web; no MX: no mail) was measured
// as not applying. A part whose check ended with an error was not.
func measured(r *scan.Result, fam string) bool {
	if r.DNS == nil {
		return false
	}
	addrs := !hasError(r, "dns.a") && !hasError(r, "dns.aaaa")
	switch fam {
	case "dns":
		for _, e := range r.Errors {
			if strings.HasPrefix(e.Check, "dns.") {
				return false
			}
		}
		return true
	case "web":
		return addrs && !hasError(r, "web")
	case "security.txt":
		return addrs && !hasError(r, "security.txt")
	case "tls":
		if !addrs || hasError(r, "tls") {
			return false
		}
		if len(r.DNS.Addresses) == 0 {
			return true
		}
		for _, a := range r.DNS.Addresses { // the prober dials IPv4 only
			if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
				return true
			}
		}
		return false
	case "mail":
		return !hasError(r, "dns.mx") && !hasError(r, "mail") && !hasError(r, "mail.starttls")
	}
	return false
}

// failed merges a result's findings by check (one MX per line).
type failed struct {
	check, severity string
	titles          []string
}

func failedChecks(r *scan.Result) []failed {
	by := map[string]*failed{}
	var order []string
	for _, f := range r.Findings {
		c := by[f.Check]
		if c == nil {
			c = &failed{check: f.Check, severity: grade.Severity(f.Check)}
			by[f.Check] = c
			order = append(order, f.Check)
		}
		c.titles = append(c.titles, f.Title)
	}
	out := make([]failed, len(order))
	for i, k := range order {
		out[i] = *by[k]
	}
	return out
}

// reconciled is what one result did to the name's findings.
type reconciled struct {
	Opened   []string `json:"opened"`   // checks that opened a finding
	Reopened []string `json:"reopened"` // checks whose fixed finding came back
	Closed   []string `json:"closed"`   // checks whose finding the scan closed
	Worst    string   `json:"worst"`    // worst severity still open on the name, or "clean"
}

// reconcile opens a finding for each failed check of a measured family
// (or reopens the one it opened before, if fixed since), closes the
// findings of checks that the result measured and saw pass, and leaves
// alone the checks of a family that could not be measured.
func (s *Service) reconcile(ctx context.Context, tx *sql.Tx, sys registry.System, scanID string, r *scan.Result) (reconciled, error) {
	out := reconciled{Opened: []string{}, Reopened: []string{}, Closed: []string{}}
	existing := map[string]string{}
	rows, err := tx.QueryContext(ctx, `SELECT check_id, finding_id FROM scan_findings WHERE system_id=$1 AND hostname=$2`, sys.ID, r.Name)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var c, f string
		if err := rows.Scan(&c, &f); err != nil {
			rows.Close()
			return out, err
		}
		existing[c] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	when := r.ScannedAt.UTC().Format("2006-01-02 15:04 MST")
	failing := map[string]bool{}
	for _, c := range failedChecks(r) {
		failing[c.check] = true
		if !measured(r, family(c.check)) {
			continue
		}
		if fid, ok := existing[c.check]; ok {
			_, changed, err := s.find.ReopenTx(ctx, tx, scanActor, fid,
				fmt.Sprintf("scan %s of %s at %s sees %s again: %s", scanID, r.Name, when, c.check, strings.Join(c.titles, "; ")))
			if err != nil {
				return out, err
			}
			if changed {
				out.Reopened = append(out.Reopened, c.check)
			}
			continue
		}
		f, err := s.find.CreateTx(ctx, tx, scanActor, sys, findings.NewFinding{Source: "scan", SourceRef: c.check,
			Title: clip(r.Name+": "+strings.Join(c.titles, "; "), 300), Severity: c.severity,
			Description: description(r, scanID, c, when)})
		if err != nil {
			return out, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scan_findings (system_id, hostname, check_id, finding_id) VALUES ($1,$2,$3,$4)`,
			sys.ID, r.Name, c.check, f.ID); err != nil {
			return out, err
		}
		out.Opened = append(out.Opened, c.check)
	}
	checks := make([]string, 0, len(existing))
	for c := range existing {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	for _, c := range checks {
		if failing[c] || !measured(r, family(c)) {
			continue
		}
		_, changed, err := s.find.CloseTx(ctx, tx, scanActor, existing[c],
			fmt.Sprintf("scan %s of %s at %s measured %s and no longer sees it", scanID, r.Name, when, c))
		if err != nil {
			return out, err
		}
		if changed {
			out.Closed = append(out.Closed, c)
		}
	}
	var rank int
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(f.severity_rank), 0) FROM scan_findings sf JOIN findings f ON f.id = sf.finding_id
		WHERE sf.system_id=$1 AND sf.hostname=$2 AND f.status IN ('open', 'in-progress')`, sys.ID, r.Name).Scan(&rank)
	if err != nil {
		return out, err
	}
	out.Worst = "clean"
	if i := len(findings.Severities) - rank; rank > 0 && i >= 0 && i < len(findings.Severities) && findings.Severities[i] != "info" {
		out.Worst = findings.Severities[i]
	}
	return out, nil
}

func description(r *scan.Result, scanID string, c failed, when string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kubu's external scan of `%s` at %s (scan `%s`) failed the check `%s`:\n\n", r.Name, when, scanID, c.check)
	for _, t := range c.titles {
		fmt.Fprintf(&b, "- %s\n", t)
	}
	fmt.Fprintf(&b, "\nSeverity %s comes from the scan's check table; the deadline from the agency's remediation policy. "+
		"A later scan that measures this check and sees it pass closes this finding by itself; if the problem comes back, it reopens.\n", c.severity)
	return b.String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Package importing turns agencies' own test results (the files package
// imports reads) into findings of source "import": one finding per item,
// deduplicated by the item's fingerprint per system and format; a
// re-import updates what changed, closes what is gone (fixed, with the
// reason) and reopens what came back, through the findings domain's
// transitions, audited in the same transaction. Each run is recorded.
package importing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/imports"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxBody is the largest file an import takes (contract §10: 100 MB).
const MaxBody = 100 << 20

// Audit codes of imports. Stable: never renumber or reuse.
var (
	ImportCompleted = audit.Define("J1100I", "import.completed")
)

// Service imports files into findings.
type Service struct {
	db       *store.DB
	audit    *audit.Log
	registry *registry.Registry
	findings *findings.Service
	now      func() time.Time
}

// New returns the import service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, f *findings.Service) *Service {
	return &Service{db: db, audit: log, registry: reg, findings: f, now: time.Now}
}

// Run is one import of one file into one system.
type Run struct {
	ID       string   `json:"id"`
	SystemID string   `json:"system_id"`
	AgencyID string   `json:"agency_id"`
	Format   string   `json:"format"`
	Tools    []string `json:"tools"` // "name version" of each tool the file named
	Bytes    int64    `json:"bytes"`
	Items    int      `json:"items"`   // items read from the file
	Skipped  int      `json:"skipped"` // results that are not findings (passes, informational notes)
	imports.Counts
	By         string    `json:"by"` // who imported it
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Import reads a file of the given format into findings of the system,
// in one transaction: a file that fails to parse changes nothing and
// answers a validation error naming where. The caller needs import.run on
// the system's agency (a system out of scope answers not found).
func (s *Service) Import(ctx context.Context, a authz.Actor, systemID string, format imports.Format, body io.Reader) (Run, error) {
	if err := authz.Check(a, authz.ImportRun, authz.Collection()); err != nil {
		return Run{}, err
	}
	sys, err := s.registry.System(ctx, a, systemID)
	if err != nil {
		return Run{}, err
	}
	if err := authz.Check(a, authz.ImportRun, authz.Record(sys.AgencyID)); err != nil {
		return Run{}, err
	}
	if _, err := imports.ParseFormat(string(format)); err != nil {
		return Run{}, validate.Errors{{Field: "format", Message: err.Error()}}
	}
	run := Run{ID: id.New(), SystemID: sys.ID, AgencyID: sys.AgencyID, Format: string(format), By: a.AuditActor().Label,
		StartedAt: s.now().UTC().Truncate(time.Millisecond)}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.apply(ctx, tx, a.AuditActor(), sys, &run, body)
	})
	if err != nil {
		var pe *imports.Error
		if errors.As(err, &pe) {
			return Run{}, validate.Errors{{Field: "body", Message: pe.Error()}}
		}
		return Run{}, err
	}
	return run, nil
}

// imported is an earlier import's item, as the next import compares it.
type imported struct {
	imports.Previous
	tool string
}

func (s *Service) previous(ctx context.Context, tx *sql.Tx, systemID, format string) ([]imports.Previous, map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT i.fingerprint, i.finding_id, f.status, f.severity, i.digest, i.tool
		FROM import_findings i JOIN findings f ON f.id = i.finding_id WHERE i.system_id = $1 AND i.format = $2`, systemID, format)
	if err != nil {
		return nil, nil, fmt.Errorf("read earlier imports: %w", err)
	}
	defer rows.Close()
	var prev []imports.Previous
	tools := map[string]string{}
	for rows.Next() {
		var p imported
		if err := rows.Scan(&p.Fingerprint, &p.FindingID, &p.Status, &p.Severity, &p.Digest, &p.tool); err != nil {
			return nil, nil, err
		}
		prev = append(prev, p.Previous)
		tools[p.Fingerprint] = p.tool
	}
	return prev, tools, rows.Err()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *Service) apply(ctx context.Context, tx *sql.Tx, actor audit.Actor, sys registry.System, run *Run, body io.Reader) error {
	prev, prevTools, err := s.previous(ctx, tx, sys.ID, run.Format)
	if err != nil {
		return err
	}
	source := fmt.Sprintf("%s import %s of %s", run.Format, run.ID, run.StartedAt.Format("2006-01-02 15:04 UTC"))
	rec := imports.NewReconciler(prev, source)
	cr := &countingReader{r: body}
	named := map[string]bool{}
	im := &importer{s: s, tx: tx, actor: actor, sys: sys, run: run}
	st, err := imports.Parse(imports.Format(run.Format), cr, func(it imports.Item) error {
		named[it.Tool.Name] = true
		return im.change(ctx, rec.Add(it))
	})
	if err != nil {
		return err
	}
	if err := im.flush(ctx); err != nil {
		return err
	}
	// Only findings of the tools this file named are closed for being
	// absent: a SARIF file of one scanner says nothing of another's. A
	// file that names no tool at all (an empty Nuclei JSONL: everything
	// fixed) speaks for every earlier import of its format.
	for _, t := range st.Tools {
		named[t.Name] = true
		run.Tools = append(run.Tools, strings.TrimSpace(t.Name+" "+t.Version))
	}
	for _, c := range rec.Finish() {
		if len(named) > 0 && !named[prevTools[c.Previous.Fingerprint]] {
			continue
		}
		if err := im.change(ctx, c); err != nil {
			return err
		}
	}
	run.Bytes, run.Items = cr.n, st.Items
	for _, n := range st.Skipped {
		run.Skipped += n
	}
	if run.Tools == nil {
		run.Tools = []string{}
	}
	run.FinishedAt = s.now().UTC().Truncate(time.Millisecond)
	_, err = tx.ExecContext(ctx, `INSERT INTO import_runs (id, system_id, agency_id, format, tools, bytes, items, skipped,
		created, updated, unchanged, reopened, closed, actor_id, actor_label, started_at, finished_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
		run.ID, run.SystemID, run.AgencyID, run.Format, strings.Join(run.Tools, "\n"), run.Bytes, run.Items, run.Skipped,
		run.Created, run.Updated, run.Unchanged, run.Reopened, run.Closed, actor.ID, actor.Label,
		run.StartedAt.UnixMilli(), run.FinishedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("record import run: %w", err)
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ImportCompleted, Actor: actor, AgencyID: sys.AgencyID,
		TargetType: "import_run", TargetID: run.ID, After: map[string]any{"system_id": run.SystemID, "format": run.Format,
			"tools": run.Tools, "bytes": run.Bytes, "items": run.Items, "counts": run.Counts}})
	return err
}

// importer is one import under way: its transaction and the items whose
// findings are still to be created (in batches of createBatch).
type importer struct {
	s       *Service
	tx      *sql.Tx
	actor   audit.Actor
	sys     registry.System
	run     *Run
	pending []imports.Item
}

// createBatch is how many new findings are created at once.
const createBatch = 400

// flush creates the pending findings and records their items.
func (im *importer) flush(ctx context.Context) error {
	if len(im.pending) == 0 {
		return nil
	}
	ins := make([]findings.NewFinding, len(im.pending))
	for i := range im.pending {
		it := &im.pending[i]
		ins[i] = findings.NewFinding{SystemID: im.sys.ID, Source: "import", SourceRef: it.RuleID, Title: it.Title,
			Description: describe(it), Severity: it.Severity, CVSSVector: it.CVSSVector, CVSSScore: it.CVSSScore, CWE: firstCWE(it.CWE)}
	}
	made, err := im.s.findings.CreateManyTx(ctx, im.tx, im.actor, im.sys, ins)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO import_findings (system_id, format, fingerprint, finding_id, tool, tool_version,
		rule_id, location, cwe, cve, digest, run_id) VALUES `)
	args := make([]any, 0, len(made)*12)
	for i, f := range made {
		it := &im.pending[i]
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for k := 1; k <= 12; k++ {
			if k > 1 {
				sb.WriteByte(',')
			}
			sb.WriteString(im.s.db.Param(len(args) + k))
		}
		sb.WriteByte(')')
		args = append(args, im.sys.ID, im.run.Format, it.Fingerprint, f.ID, it.Tool.Name, it.Tool.Version, it.RuleID,
			it.Location.String(), joinInts(it.CWE), strings.Join(it.CVE, ","), it.Digest(), im.run.ID)
	}
	if _, err := im.tx.ExecContext(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("record imported items: %w", err)
	}
	im.pending = im.pending[:0]
	return nil
}

// change applies one reconciliation decision and counts it.
func (im *importer) change(ctx context.Context, c imports.Change) error {
	s, tx, actor, run := im.s, im.tx, im.actor, im.run
	switch c.Action {
	case imports.Create:
		run.Created++
		im.pending = append(im.pending, *c.Item)
		if len(im.pending) >= createBatch {
			return im.flush(ctx)
		}
	case imports.Update:
		if _, err := s.findings.RefreshTx(ctx, tx, actor, c.Previous.FindingID, refresh(c.Item), "changed in the "+sourceOf(run)); err != nil {
			return err
		}
		if err := im.remember(ctx, c.Item, c.Previous.FindingID); err != nil {
			return err
		}
		run.Updated++
	case imports.Reopen:
		if _, _, err := s.findings.ReopenTx(ctx, tx, actor, c.Previous.FindingID, c.Reason); err != nil {
			return err
		}
		if c.Item.Digest() != c.Previous.Digest {
			if _, err := s.findings.RefreshTx(ctx, tx, actor, c.Previous.FindingID, refresh(c.Item), "changed in the "+sourceOf(run)); err != nil {
				return err
			}
		}
		if err := im.remember(ctx, c.Item, c.Previous.FindingID); err != nil {
			return err
		}
		run.Reopened++
	case imports.Close:
		if _, _, err := s.findings.CloseAsTx(ctx, tx, actor, c.Previous.FindingID, c.Status, c.Reason); err != nil {
			return err
		}
		if c.Item != nil {
			if err := im.remember(ctx, c.Item, c.Previous.FindingID); err != nil {
				return err
			}
		}
		run.Closed++
	case imports.Unchanged:
		run.Unchanged++
	}
	return nil
}

func sourceOf(run *Run) string { return run.Format + " import " + run.ID }

// remember stores what an item now says, for the next import to compare.
func (im *importer) remember(ctx context.Context, it *imports.Item, findingID string) error {
	run := im.run
	_, err := im.tx.ExecContext(ctx, `UPDATE import_findings SET tool = $1, tool_version = $2, rule_id = $3, location = $4, cwe = $5,
		cve = $6, digest = $7, run_id = $8 WHERE finding_id = $9`,
		it.Tool.Name, it.Tool.Version, it.RuleID, it.Location.String(), joinInts(it.CWE), strings.Join(it.CVE, ","), it.Digest(), run.ID, findingID)
	if err != nil {
		return fmt.Errorf("update imported item: %w", err)
	}
	return nil
}

func refresh(it *imports.Item) findings.Refresh {
	return findings.Refresh{Title: it.Title, Description: describe(it), Severity: it.Severity, CVSSVector: it.CVSSVector,
		CVSSScore: it.CVSSScore, CWE: firstCWE(it.CWE)}
}

// describe is the finding's description: the tool's text, then what the
// findings table has no column for (tool, rule, location, CWEs, CVEs).
func describe(it *imports.Item) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	line("Tool", strings.TrimSpace(it.Tool.Name+" "+it.Tool.Version))
	line("Rule", it.RuleID)
	line("Location", it.Location.String())
	var cwes []string
	for _, c := range it.CWE {
		cwes = append(cwes, "CWE-"+strconv.Itoa(c))
	}
	line("CWE", strings.Join(cwes, ", "))
	line("CVE", strings.Join(it.CVE, ", "))
	head := b.String()
	if it.Description == "" {
		return strings.TrimSuffix(head, "\n")
	}
	d := head + "\n" + it.Description
	if len(d) > imports.MaxDescription {
		d = strings.ToValidUTF8(d[:imports.MaxDescription], "")
	}
	return d
}

func firstCWE(cwe []int) *int {
	if len(cwe) == 0 {
		return nil
	}
	n := cwe[0]
	return &n
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

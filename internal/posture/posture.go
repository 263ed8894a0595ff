// Package posture is one number per agency, and for the whole of
// government, with the reasons behind it: security plan controls met, not
// met and not assessed; open and overdue findings by severity; external
// scan verdicts; a score weighted by system criticality (score.go); the
// trend from daily snapshots (snapshot.go); and the league table of
// agencies.
//
// It reads the findings, systems and scan tables directly (aggregates over
// a million findings must stay one indexed query) and the controls through
// the Controls interface, which the policy package implements.
package posture

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/csvsafe"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// ControlCounts are one system's security plan controls by status.
type ControlCounts struct{ Met, NotMet, NotAssessed int }

// Controls gives the control counts of systems' security plans (the
// policy package). A system missing from the answer has no plan.
type Controls interface {
	ControlSummary(ctx context.Context, systemIDs []string) (map[string]ControlCounts, error)
}

// Posture is an agency's (or the whole of government's) posture.
type Posture struct {
	Agency   string        `json:"agency"` // the agency's code; "" for the whole of government
	AgencyID string        `json:"agency_id,omitempty"`
	Name     string        `json:"name"`
	Score    *float64      `json:"score"` // 0–100, null without systems
	Systems  int           `json:"systems"`
	Controls ControlTotals `json:"controls"`
	Findings FindingTotals `json:"findings"`
	Scans    ScanTotals    `json:"scans"`
	Trend    []Point       `json:"trend"`
}

// ControlTotals counts controls over the systems' plans.
type ControlTotals struct {
	Met         int `json:"met"`
	NotMet      int `json:"not_met"`
	NotAssessed int `json:"not_assessed"`
}

// FindingTotals counts open (open or in progress) findings, and those past
// their deadline, with both by severity.
type FindingTotals struct {
	Open              int            `json:"open"`
	Overdue           int            `json:"overdue"`
	OpenBySeverity    map[string]int `json:"open_by_severity"`
	OverdueBySeverity map[string]int `json:"overdue_by_severity"`
}

// ScanTotals counts external scan names and verdicts of their latest
// results; Score is the share of passing verdicts (null without any).
type ScanTotals struct {
	Names   int      `json:"names"`
	Scanned int      `json:"scanned"`
	Pass    int      `json:"pass"`
	Fail    int      `json:"fail"`
	Score   *float64 `json:"score"`
}

// Point is one day of the trend.
type Point struct {
	Date  string   `json:"date"` // YYYY-MM-DD, UTC
	Score *float64 `json:"score"`
}

// Service computes posture.
type Service struct {
	db       *store.DB
	audit    *audit.Log
	registry *registry.Registry
	controls Controls
	now      func() time.Time
}

// New returns the posture service; controls may be nil (every control is
// then not assessed: no plan proves anything).
func New(db *store.DB, log *audit.Log, reg *registry.Registry, controls Controls) *Service {
	return &Service{db: db, audit: log, registry: reg, controls: controls, now: time.Now}
}

// WithClock returns a copy reading time from now (tests, benchmarks).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// TrendDays is how many days of trend a posture carries.
const TrendDays = 90

// Get returns the posture of the agency with code, or without a code the
// whole of government for callers who see every agency and their own
// agency for agency roles. An agency out of scope answers not found.
func (s *Service) Get(ctx context.Context, a authz.Actor, code string) (Posture, error) {
	sc, err := authz.ScopeFor(a, authz.PostureRead)
	if err != nil {
		return Posture{}, err
	}
	agencyID := ""
	switch {
	case code != "":
		ag, err := s.registry.AgencyByCode(ctx, a, code)
		if err != nil {
			return Posture{}, err
		}
		if err := authz.Check(a, authz.PostureRead, authz.Record(ag.ID)); err != nil {
			return Posture{}, err
		}
		agencyID = ag.ID
	case !sc.All:
		agencyID = sc.AgencyID
		if agencyID == "" {
			return Posture{}, authz.ErrNotFound
		}
	}
	all, wog, err := s.compute(ctx, agencyID)
	if err != nil {
		return Posture{}, err
	}
	p := wog
	if agencyID != "" {
		p = all[agencyID]
	}
	if p.Trend, err = s.trend(ctx, agencyID, p.Score); err != nil {
		return Posture{}, err
	}
	return *p, nil
}

// League is one row per agency the caller may see (an agency's people see
// their own), ordered by score, best first (agencies without a score
// last, then by code). Rows carry no trend.
func (s *Service) League(ctx context.Context, a authz.Actor) ([]Posture, error) {
	sc, err := authz.ScopeFor(a, authz.PostureRead)
	if err != nil {
		return nil, err
	}
	if !sc.All && sc.AgencyID == "" {
		return []Posture{}, nil
	}
	all, _, err := s.compute(ctx, sc.AgencyID)
	if err != nil {
		return nil, err
	}
	out := make([]Posture, 0, len(all))
	for _, p := range all {
		p.Trend = []Point{}
		out = append(out, *p)
	}
	sortLeague(out)
	return out, nil
}

func sortLeague(out []Posture) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Score, out[j].Score
		switch {
		case a != nil && b != nil && *a != *b:
			return *a > *b
		case (a == nil) != (b == nil):
			return a != nil
		}
		return out[i].Agency < out[j].Agency
	})
}

// compute is the posture of every agency (agencyID "") or of one, and of
// the whole (the whole of government when agencyID is "").
func (s *Service) compute(ctx context.Context, agencyID string) (map[string]*Posture, *Posture, error) {
	q := s.db.R()
	systems := map[string]*systemTally{}
	agencies := map[string]*Posture{}
	var ids []string
	where, args := "", []any{}
	if agencyID != "" {
		where, args = " WHERE id = $1", []any{agencyID}
	}
	if err := each(ctx, q, `SELECT id, code, name FROM agencies`+where, args, func(r *sql.Rows) error {
		var p Posture
		if err := r.Scan(&p.AgencyID, &p.Agency, &p.Name); err != nil {
			return err
		}
		agencies[p.AgencyID] = &p
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("posture agencies: %w", err)
	}
	if agencyID != "" {
		where = " WHERE agency_id = $1"
	}
	if err := each(ctx, q, `SELECT id, agency_id, criticality FROM systems`+where, args, func(r *sql.Rows) error {
		t := &systemTally{open: map[string]int{}, overdue: map[string]int{}}
		var id string
		if err := r.Scan(&id, &t.agencyID, &t.criticality); err != nil {
			return err
		}
		systems[id] = t
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("posture systems: %w", err)
	}
	// Open findings by system, severity and deadline: one pass over the
	// findings_posture index.
	now := s.now().UnixMilli()
	fargs := []any{now}
	fwhere := ""
	if agencyID != "" {
		fwhere, fargs = " AND agency_id = $2", append(fargs, agencyID)
	}
	if err := each(ctx, q, `SELECT system_id, severity, CASE WHEN due_at < $1 THEN 1 ELSE 0 END, COUNT(*) FROM findings
		WHERE status IN ('open', 'in-progress')`+fwhere+` GROUP BY 1, 2, 3`, fargs, func(r *sql.Rows) error {
		var sysID, sev string
		var late, n int
		if err := r.Scan(&sysID, &sev, &late, &n); err != nil {
			return err
		}
		t := systems[sysID]
		if t == nil {
			return nil
		}
		t.open[sev] += n
		w := SeverityWeight[sev] * float64(n)
		if late == 1 {
			t.overdue[sev] += n
			w *= OverdueFactor
		}
		t.penalty += w
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("posture findings: %w", err)
	}
	swhere := ""
	if agencyID != "" {
		swhere = " WHERE t.agency_id = $1"
	}
	if err := each(ctx, q, `SELECT t.system_id, r.id, r.bod_web, r.bod_mail, r.internetnl_web, r.internetnl_mail, r.ssllabs, r.observatory_score
		FROM scan_targets t LEFT JOIN scan_results r ON r.id = t.last_result_id`+swhere, args, func(r *sql.Rows) error {
		var sysID string
		var res, bw, bm, nw, nm, ssl sql.NullString
		var obs sql.NullInt64
		if err := r.Scan(&sysID, &res, &bw, &bm, &nw, &nm, &ssl, &obs); err != nil {
			return err
		}
		t := systems[sysID]
		if t == nil {
			return nil
		}
		t.names++
		if !res.Valid {
			return nil
		}
		t.scanned++
		for _, v := range []string{bw.String, bm.String, nw.String, nm.String} {
			switch v {
			case "pass":
				t.pass++
				t.total++
			case "fail":
				t.total++
			}
		}
		if ssl.String != "" {
			t.total++
			if ssl.String == "A" || ssl.String == "A+" {
				t.pass++
			}
		}
		if obs.Valid {
			t.total++
			if obs.Int64 >= 70 {
				t.pass++
			}
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("posture scans: %w", err)
	}
	if s.controls != nil && len(ids) > 0 {
		cs, err := s.controls.ControlSummary(ctx, ids)
		if err != nil {
			return nil, nil, fmt.Errorf("posture controls: %w", err)
		}
		for id, c := range cs {
			if t := systems[id]; t != nil {
				t.controls = c
			}
		}
	}
	whole := &Posture{Name: "Whole of government"}
	if agencyID != "" {
		whole = &Posture{}
	}
	sums := map[*Posture]*[2]float64{}
	slices.Sort(ids) // a stable order of addition: the same score every time
	for _, id := range ids {
		t := systems[id]
		p := agencies[t.agencyID]
		if p == nil {
			continue
		}
		sc, w := t.score(), criticalityWeight(t.criticality)
		for _, into := range []*Posture{p, whole} {
			into.add(t)
			if sums[into] == nil {
				sums[into] = &[2]float64{}
			}
			sums[into][0] += w * sc
			sums[into][1] += w
		}
	}
	for _, p := range append(mapValues(agencies), whole) {
		p.finish(sums[p])
	}
	return agencies, whole, nil
}

func mapValues(m map[string]*Posture) []*Posture {
	out := make([]*Posture, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	return out
}

func (p *Posture) add(t *systemTally) {
	p.Systems++
	p.Controls.Met += t.controls.Met
	p.Controls.NotMet += t.controls.NotMet
	p.Controls.NotAssessed += t.controls.NotAssessed
	if p.Findings.OpenBySeverity == nil {
		p.Findings.OpenBySeverity, p.Findings.OverdueBySeverity = map[string]int{}, map[string]int{}
	}
	for sev, n := range t.open {
		p.Findings.Open += n
		p.Findings.OpenBySeverity[sev] += n
	}
	for sev, n := range t.overdue {
		p.Findings.Overdue += n
		p.Findings.OverdueBySeverity[sev] += n
	}
	p.Scans.Names += t.names
	p.Scans.Scanned += t.scanned
	p.Scans.Pass += t.pass
	p.Scans.Fail += t.total - t.pass
}

func (p *Posture) finish(sum *[2]float64) {
	if p.Findings.OpenBySeverity == nil {
		p.Findings.OpenBySeverity, p.Findings.OverdueBySeverity = map[string]int{}, map[string]int{}
	}
	if n := p.Scans.Pass + p.Scans.Fail; n > 0 {
		v := round1(100 * float64(p.Scans.Pass) / float64(n))
		p.Scans.Score = &v
	}
	if sum != nil && sum[1] > 0 {
		v := round1(sum[0] / sum[1])
		p.Score = &v
	}
	p.Trend = []Point{}
}

// each runs a query and calls fn for each row.
func each(ctx context.Context, q store.Querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// csvHeader is the league table's CSV columns.
var csvHeader = []string{"agency", "name", "score", "systems", "controls_met", "controls_not_met", "controls_not_assessed",
	"findings_open", "findings_overdue", "open_critical", "open_high", "open_medium", "open_low", "scan_names", "scan_scanned",
	"scan_pass", "scan_fail", "scan_score"}

// CSVRows is the league table as CSV records, header first.
func CSVRows(rows []Posture) [][]string {
	out := [][]string{csvHeader}
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", *v), "0"), ".")
	}
	itoa := func(n int) string { return fmt.Sprint(n) }
	for _, p := range rows {
		o := p.Findings.OpenBySeverity
		out = append(out, []string{csvsafe.Cell(p.Agency), csvsafe.Cell(p.Name), f(p.Score), itoa(p.Systems), itoa(p.Controls.Met), itoa(p.Controls.NotMet),
			itoa(p.Controls.NotAssessed), itoa(p.Findings.Open), itoa(p.Findings.Overdue), itoa(o["critical"]), itoa(o["high"]),
			itoa(o["medium"]), itoa(o["low"]), itoa(p.Scans.Names), itoa(p.Scans.Scanned), itoa(p.Scans.Pass), itoa(p.Scans.Fail), f(p.Scans.Score)})
	}
	return out
}

// WriteCSV writes the league table as CSV, header first.
func WriteCSV(w io.Writer, rows []Posture) error {
	cw := csv.NewWriter(w)
	return cw.WriteAll(CSVRows(rows))
}

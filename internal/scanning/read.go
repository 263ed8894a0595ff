package scanning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/grade"
	"github.com/kubu-gov/kubu/internal/store"
)

// Scan is one run over a system's names, scheduled or asked for.
type Scan struct {
	ID          string     `json:"id"`
	SystemID    string     `json:"system_id"`
	System      string     `json:"system"`
	AgencyID    string     `json:"agency_id"`
	Agency      string     `json:"agency"`
	Kind        string     `json:"kind"`   // scheduled | on-demand
	Status      string     `json:"status"` // queued | running | done | failed
	Hostnames   []string   `json:"hostnames"`
	RequestedBy string     `json:"requested_by"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Error       string     `json:"error,omitempty"`
	NamesDone   int        `json:"names_done"` // names whose result is recorded
}

// ScanDetail is a scan with its per-name results (contract §9 shape) and
// what changed on each name since its previous result.
type ScanDetail struct {
	Scan
	Results []*scan.Result      `json:"results"`
	Changes map[string][]Change `json:"changes"`
}

// Grades are one result's verdicts in brief (stored beside it, for lists
// and posture). An empty string means the verdict does not apply.
type Grades struct {
	BODWeb           string `json:"bod_web"`
	BODMail          string `json:"bod_mail"`
	InternetNLWeb    string `json:"internetnl_web"`
	InternetNLMail   string `json:"internetnl_mail"`
	ObservatoryScore *int   `json:"observatory_score"`
	ObservatoryGrade string `json:"observatory_grade"`
	SSLLabs          string `json:"ssllabs"`
	// IM8 is the status of each IM8 control the facts bear on (st-1, ns-6,
	// as-10, dp-3, is-12, st-3): met, not-met or not-applicable.
	IM8 map[string]string `json:"im8"`
}

// Summarise is a result's verdicts in brief.
func Summarise(r *scan.Result) Grades {
	g := Grades{IM8: map[string]string{}}
	v := r.Verdicts
	if v == nil {
		return g
	}
	for k, x := range v.IM8 {
		g.IM8[k] = x
	}
	if v.BOD != nil {
		g.BODWeb, g.BODMail = deref(v.BOD.Web), deref(v.BOD.Mail)
	}
	if v.InternetNL != nil {
		g.InternetNLWeb, g.InternetNLMail = deref(v.InternetNL.Web), deref(v.InternetNL.Mail)
	}
	if v.Observ != nil && r.HTTPS != nil && r.HTTPS.Live {
		n := v.Observ.Score
		g.ObservatoryScore, g.ObservatoryGrade = &n, v.Observ.Grade
	}
	if v.SSLLabs != nil {
		g.SSLLabs = v.SSLLabs.Grade
	}
	return g
}

// NameResult is one name's result in brief.
type NameResult struct {
	ID           string    `json:"id"`
	ScanID       string    `json:"scan_id"`
	SystemID     string    `json:"system_id"`
	System       string    `json:"system"`
	AgencyID     string    `json:"agency_id"`
	Agency       string    `json:"agency"`
	Hostname     string    `json:"hostname"`
	ScannedAt    time.Time `json:"scanned_at"`
	Grades       Grades    `json:"grades"`
	FailedChecks int       `json:"failed_checks"`
	Worst        string    `json:"worst"` // worst severity among the failed checks, or clean
	Errors       int       `json:"errors"`
	Changes      []Change  `json:"changes"`
}

// ResultDetail is one name's whole result: the facts and verdicts with
// their reasons, the changes since the one before, and where two standards
// disagree and why.
type ResultDetail struct {
	NameResult
	Result        *scan.Result         `json:"result"`
	Disagreements []grade.Disagreement `json:"disagreements"`
}

const scanCols = `sc.id, sc.system_id, s.name, sc.agency_id, a.code, sc.kind, sc.status, sc.hostnames, sc.requested_label,
	sc.created_at, sc.started_at, sc.finished_at, sc.error, (SELECT COUNT(*) FROM scan_results r WHERE r.scan_id = sc.id)`

const scanFrom = ` FROM scans sc JOIN systems s ON s.id = sc.system_id JOIN agencies a ON a.id = sc.agency_id`

func scanScan(sc interface{ Scan(...any) error }) (Scan, error) {
	var x Scan
	var hosts string
	var created int64
	var started, finished sql.NullInt64
	err := sc.Scan(&x.ID, &x.SystemID, &x.System, &x.AgencyID, &x.Agency, &x.Kind, &x.Status, &hosts, &x.RequestedBy,
		&created, &started, &finished, &x.Error, &x.NamesDone)
	if errors.Is(err, sql.ErrNoRows) {
		return Scan{}, authz.ErrNotFound
	}
	if err != nil {
		return Scan{}, err
	}
	if err := json.Unmarshal([]byte(hosts), &x.Hostnames); err != nil {
		return Scan{}, fmt.Errorf("scan %s hostnames: %w", x.ID, err)
	}
	x.CreatedAt = time.UnixMilli(created).UTC()
	x.StartedAt, x.FinishedAt = timePtr(started), timePtr(finished)
	return x, nil
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

// Get returns a scan the caller may see, with its results.
func (s *Service) Get(ctx context.Context, a authz.Actor, scanID string) (ScanDetail, error) {
	if err := authz.Check(a, authz.ScanRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return ScanDetail{}, err
	}
	x, err := scanScan(s.db.R().QueryRowContext(ctx, `SELECT `+scanCols+scanFrom+` WHERE sc.id = $1`, scanID))
	if err != nil {
		return ScanDetail{}, err
	}
	if err := authz.Check(a, authz.ScanRead, authz.Record(x.AgencyID)); err != nil {
		return ScanDetail{}, err
	}
	d := ScanDetail{Scan: x, Results: []*scan.Result{}, Changes: map[string][]Change{}}
	rows, err := s.db.R().QueryContext(ctx, `SELECT hostname, result, changes FROM scan_results WHERE scan_id = $1 ORDER BY hostname`, scanID)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var h, raw, ch string
		if err := rows.Scan(&h, &raw, &ch); err != nil {
			return d, err
		}
		r := new(scan.Result)
		if err := json.Unmarshal([]byte(raw), r); err != nil {
			return d, fmt.Errorf("result of %s: %w", h, err)
		}
		var cs []Change
		if err := json.Unmarshal([]byte(ch), &cs); err != nil {
			return d, fmt.Errorf("changes of %s: %w", h, err)
		}
		d.Results = append(d.Results, r)
		d.Changes[h] = cs
	}
	return d, rows.Err()
}

// ScanFilter selects scans.
type ScanFilter struct {
	SystemID string
	AgencyID string
	Status   string
	Cursor   string
	Limit    int
}

// List returns a page of the scans the caller may see, newest first.
func (s *Service) List(ctx context.Context, a authz.Actor, f ScanFilter) (store.Page[Scan], error) {
	page := store.Page[Scan]{Items: []Scan{}}
	sc, err := authz.ScopeFor(a, authz.ScanRead)
	if err != nil {
		return page, err
	}
	var wh store.Where
	sc.Where(&wh, "sc.agency_id", "")
	if f.SystemID != "" {
		wh.And("sc.system_id = " + wh.Arg(f.SystemID))
	}
	if f.AgencyID != "" {
		wh.And("sc.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.Status != "" {
		wh.And("sc.status = " + wh.Arg(f.Status))
	}
	return store.List(ctx, s.db.R(), store.ListQuery[Scan]{
		SQL: `SELECT ` + scanCols + scanFrom, Where: &wh, Cursor: f.Cursor, Limit: f.Limit,
		Keyset: store.Keyset{Keys: []string{"sc.created_at", "sc.id"}, Desc: true},
		Scan:   func(r store.Scanner) (Scan, error) { return scanScan(r) },
		Key:    func(x Scan) []any { return []any{x.CreatedAt.UnixMilli(), x.ID} },
	})
}

const resultCols = `r.id, r.scan_id, r.system_id, s.name, r.agency_id, a.code, r.hostname, r.scanned_at, r.bod_web, r.bod_mail,
	r.internetnl_web, r.internetnl_mail, r.observatory_score, r.observatory_grade, r.ssllabs, r.im8, r.failed_checks, r.worst, r.errors, r.changes`

const resultFrom = ` FROM scan_results r JOIN systems s ON s.id = r.system_id JOIN agencies a ON a.id = r.agency_id`

func scanResult(sc interface{ Scan(...any) error }, extra ...any) (NameResult, error) {
	var x NameResult
	var at int64
	var obs sql.NullInt64
	var changes, im8 string
	dest := []any{&x.ID, &x.ScanID, &x.SystemID, &x.System, &x.AgencyID, &x.Agency, &x.Hostname, &at, &x.Grades.BODWeb, &x.Grades.BODMail,
		&x.Grades.InternetNLWeb, &x.Grades.InternetNLMail, &obs, &x.Grades.ObservatoryGrade, &x.Grades.SSLLabs, &im8, &x.FailedChecks, &x.Worst,
		&x.Errors, &changes}
	err := sc.Scan(append(dest, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return NameResult{}, authz.ErrNotFound
	}
	if err != nil {
		return NameResult{}, err
	}
	x.ScannedAt = time.UnixMilli(at).UTC()
	if obs.Valid {
		n := int(obs.Int64)
		x.Grades.ObservatoryScore = &n
	}
	if err := json.Unmarshal([]byte(changes), &x.Changes); err != nil {
		return NameResult{}, fmt.Errorf("changes of result %s: %w", x.ID, err)
	}
	if err := json.Unmarshal([]byte(im8), &x.Grades.IM8); err != nil {
		return NameResult{}, fmt.Errorf("im8 of result %s: %w", x.ID, err)
	}
	return x, nil
}

// ResultFilter selects results.
type ResultFilter struct {
	SystemID string
	AgencyID string
	Hostname string
	// Latest keeps only each name's latest result.
	Latest bool
	Cursor string
	Limit  int
}

// Results returns a page of the name results the caller may see, newest
// first: a name's history, a system's, or the latest of each name.
func (s *Service) Results(ctx context.Context, a authz.Actor, f ResultFilter) (store.Page[NameResult], error) {
	page := store.Page[NameResult]{Items: []NameResult{}}
	sc, err := authz.ScopeFor(a, authz.ScanRead)
	if err != nil {
		return page, err
	}
	var wh store.Where
	sc.Where(&wh, "r.agency_id", "")
	if f.SystemID != "" {
		wh.And("r.system_id = " + wh.Arg(f.SystemID))
	}
	if f.AgencyID != "" {
		wh.And("r.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.Hostname != "" {
		wh.And("r.hostname = " + wh.Arg(normalName(f.Hostname)))
	}
	if f.Latest {
		wh.And("r.id IN (SELECT last_result_id FROM scan_targets WHERE last_result_id IS NOT NULL)")
	}
	return store.List(ctx, s.db.R(), store.ListQuery[NameResult]{
		SQL: `SELECT ` + resultCols + resultFrom, Where: &wh, Cursor: f.Cursor, Limit: f.Limit,
		Keyset: store.Keyset{Keys: []string{"r.scanned_at", "r.id"}, Desc: true},
		Scan:   func(r store.Scanner) (NameResult, error) { return scanResult(r) },
		Key:    func(x NameResult) []any { return []any{x.ScannedAt.UnixMilli(), x.ID} },
	})
}

// Result returns one name result the caller may see, whole.
func (s *Service) Result(ctx context.Context, a authz.Actor, resultID string) (ResultDetail, error) {
	if err := authz.Check(a, authz.ScanRead, authz.Collection()); err != nil {
		return ResultDetail{}, err
	}
	var raw string
	x, err := scanResult(s.db.R().QueryRowContext(ctx, `SELECT `+resultCols+`, r.result`+resultFrom+` WHERE r.id = $1`, resultID), &raw)
	if err != nil {
		return ResultDetail{}, err
	}
	if err := authz.Check(a, authz.ScanRead, authz.Record(x.AgencyID)); err != nil {
		return ResultDetail{}, err
	}
	d := ResultDetail{NameResult: x, Result: new(scan.Result)}
	if err := json.Unmarshal([]byte(raw), d.Result); err != nil {
		return ResultDetail{}, fmt.Errorf("result %s: %w", x.ID, err)
	}
	d.Disagreements = grade.Disagreements(d.Result)
	return d, nil
}

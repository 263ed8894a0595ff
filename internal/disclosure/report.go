package disclosure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Statuses of a report. Valid reports are accepted, resolved, retest and
// closed (closed is reached only from resolved or retest).
var (
	Statuses      = []string{"new", "needs-more-info", "triaged", "accepted", "resolved", "retest", "closed", "duplicate", "informative", "not-applicable", "spam"}
	OpenStatuses  = []string{"new", "needs-more-info", "triaged", "accepted", "resolved", "retest"}
	ValidStatuses = []string{"accepted", "resolved", "retest", "closed"}
)

// Report is a vulnerability report. Its ID is the tracking id: 128 random
// bits, so it reveals nothing and cannot be guessed.
type Report struct {
	ID              string       `json:"tracking_id"`
	ProgrammeID     string       `json:"programme_id"`
	Programme       string       `json:"programme"`
	ProgrammeKind   string       `json:"programme_kind"`
	SystemID        string       `json:"system_id,omitempty"`
	AgencyID        string       `json:"agency_id,omitempty"`
	ResearcherID    string       `json:"researcher_id,omitempty"`
	Researcher      string       `json:"researcher,omitempty"` // handle
	Anonymous       bool         `json:"anonymous"`
	ReporterEmail   string       `json:"reporter_email,omitempty"` // staff only
	Title           string       `json:"title"`
	Description     string       `json:"description"`
	Steps           string       `json:"steps"`
	Impact          string       `json:"impact"`
	AffectedURL     string       `json:"affected_url"`
	EndpointKey     string       `json:"endpoint_key,omitempty"`
	Parameter       string       `json:"parameter,omitempty"`
	AssetType       string       `json:"asset_type,omitempty"`
	CWE             *int         `json:"cwe,omitempty"`
	CVSSVector      string       `json:"cvss_vector,omitempty"`
	CVSSScore       *float64     `json:"cvss_score,omitempty"`
	Severity        string       `json:"severity,omitempty"`
	Status          string       `json:"status"`
	DuplicateOf     string       `json:"-"`
	Original        *Original    `json:"duplicate_of,omitempty"`
	FindingID       string       `json:"finding_id,omitempty"`
	ContentHash     string       `json:"content_hash"`
	RewardVersion   int          `json:"reward_version,omitempty"`
	RewardTable     *RewardTable `json:"reward_table,omitempty"`
	Disclosure      string       `json:"disclosure,omitempty"` // "", consented, published
	PublicSummary   string       `json:"public_summary,omitempty"`
	FixedThenDenied bool         `json:"fixed_then_denied,omitempty"`
	SubmittedAt     time.Time    `json:"submitted_at"`
	FirstResponseAt *time.Time   `json:"first_response_at,omitempty"`
	TriagedAt       *time.Time   `json:"triaged_at,omitempty"`
	RewardedAt      *time.Time   `json:"rewarded_at,omitempty"`
	ResolvedAt      *time.Time   `json:"resolved_at,omitempty"`
	ClosedAt        *time.Time   `json:"closed_at,omitempty"`
	UpdatedAt       time.Time    `json:"updated_at"`
	Clocks          []Clock      `json:"clocks,omitempty"`
	Attachments     []Attachment `json:"attachments"`

	targets     Targets
	escalations int
	tokenHash   string
}

// Original is what the researcher of a duplicate learns of the report it
// duplicates: enough to check the order (the submission time and content
// hash were committed to the audit log at submission), nothing of its
// content.
type Original struct {
	TrackingID  string    `json:"tracking_id"`
	SubmittedAt time.Time `json:"submitted_at"`
	ContentHash string    `json:"content_hash"`
}

const reportCols = `r.id, r.programme_id, p.name, p.kind, p.targets, COALESCE(r.system_id, ''), r.agency_id, r.researcher_id,
	COALESCE(rs.handle, ''), r.reporter_email, r.token_hash, r.title, r.description, r.steps, r.impact, r.affected_url,
	r.endpoint_key, r.parameter, r.asset_type, r.cwe, r.cvss_vector, r.cvss_score, r.severity, r.status, r.duplicate_of,
	r.finding_id, r.content_hash, r.reward_version, r.reward_table, r.disclosure, r.public_summary, r.fixed_then_denied,
	r.escalations, r.submitted_at, r.first_response_at, r.triaged_at, r.rewarded_at, r.resolved_at, r.closed_at, r.updated_at`

const reportFrom = ` FROM reports r JOIN programmes p ON p.id = r.programme_id LEFT JOIN researchers rs ON rs.user_id = r.researcher_id`

func (s *Service) scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var targets, email, table string
	var cwe sql.NullInt64
	var score sql.NullFloat64
	var ftd int
	var submitted, updated int64
	var first, triaged, rewarded, resolved, closed sql.NullInt64
	err := sc.Scan(&r.ID, &r.ProgrammeID, &r.Programme, &r.ProgrammeKind, &targets, &r.SystemID, &r.AgencyID, &r.ResearcherID,
		&r.Researcher, &email, &r.tokenHash, &r.Title, &r.Description, &r.Steps, &r.Impact, &r.AffectedURL, &r.EndpointKey,
		&r.Parameter, &r.AssetType, &cwe, &r.CVSSVector, &score, &r.Severity, &r.Status, &r.DuplicateOf, &r.FindingID,
		&r.ContentHash, &r.RewardVersion, &table, &r.Disclosure, &r.PublicSummary, &ftd, &r.escalations, &submitted,
		&first, &triaged, &rewarded, &resolved, &closed, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, authz.ErrNotFound
	}
	if err != nil {
		return Report{}, err
	}
	json.Unmarshal([]byte(targets), &r.targets)
	if email != "" {
		if e, err := s.pii.OpenString(email, r.ID); err == nil {
			r.ReporterEmail = e
		}
	}
	if cwe.Valid {
		n := int(cwe.Int64)
		r.CWE = &n
	}
	if score.Valid {
		r.CVSSScore = &score.Float64
	}
	if table != "" {
		r.RewardTable = &RewardTable{}
		json.Unmarshal([]byte(table), r.RewardTable)
	}
	r.Anonymous = r.ResearcherID == ""
	r.FixedThenDenied = ftd != 0
	r.SubmittedAt, r.UpdatedAt = time.UnixMilli(submitted).UTC(), time.UnixMilli(updated).UTC()
	r.FirstResponseAt, r.TriagedAt, r.RewardedAt = timePtr(first), timePtr(triaged), timePtr(rewarded)
	r.ResolvedAt, r.ClosedAt = timePtr(resolved), timePtr(closed)
	return r, nil
}

func (s *Service) load(ctx context.Context, q store.Querier, reportID string, lock bool) (Report, error) {
	if len(reportID) != 26 {
		return Report{}, authz.ErrNotFound
	}
	forUpdate := ""
	if lock {
		forUpdate = s.db.Dialect.ForUpdate
		if forUpdate != "" {
			forUpdate = " FOR UPDATE OF r"
		}
	}
	return s.scanReport(q.QueryRowContext(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.id = $1`+forUpdate, reportID))
}

// Report returns a report the caller may see, shaped for them: staff see
// everything; its researcher does not see the reporter email field or
// internal state.
func (s *Service) Report(ctx context.Context, a authz.Actor, reportID string) (Report, error) {
	if err := authz.Check(a, authz.ReportRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Report{}, err
	}
	r, err := s.load(ctx, s.db.R(), reportID, false)
	if err != nil {
		return Report{}, err
	}
	if err := authz.Check(a, authz.ReportRead, reportResource(&r)); err != nil {
		return Report{}, err
	}
	return s.finish(ctx, r, staffView(a, &r))
}

// finish fills the computed parts of a report for its viewer.
func (s *Service) finish(ctx context.Context, r Report, staffView bool) (Report, error) {
	r.Clocks = Clocks(r, r.targets, s.now())
	atts, err := s.attachments(ctx, r.ID, staffView)
	if err != nil {
		return Report{}, err
	}
	r.Attachments = atts
	if r.DuplicateOf != "" {
		var submitted int64
		var hash string
		err := s.db.R().QueryRowContext(ctx, `SELECT submitted_at, content_hash FROM reports WHERE id = $1`, r.DuplicateOf).Scan(&submitted, &hash)
		if err == nil {
			r.Original = &Original{TrackingID: r.DuplicateOf, SubmittedAt: time.UnixMilli(submitted).UTC(), ContentHash: hash}
		}
	}
	if !staffView {
		r.ReporterEmail = ""
		r.EndpointKey = ""
		r.FixedThenDenied = false
		r.escalations = 0
	}
	return r, nil
}

// ReportFilter selects reports for a list.
type ReportFilter struct {
	ProgrammeID string
	SystemID    string
	AgencyID    string
	Statuses    []string
	Severities  []string
	Overdue     bool   // a clock is past its target
	Query       string // in the title
	Cursor      string
	Limit       int
}

type reportCursor struct {
	N int64  `json:"n"`
	I string `json:"i"`
}

// ListReports returns the reports the caller may see, newest first: staff
// see all, researchers their own.
func (s *Service) ListReports(ctx context.Context, a authz.Actor, f ReportFilter) (store.Page[Report], error) {
	page := store.Page[Report]{Items: []Report{}}
	sc, err := authz.ScopeFor(a, authz.ReportRead)
	if err != nil {
		return page, err
	}
	var v validate.Errors
	for _, st := range f.Statuses {
		v.OneOf("status", st, Statuses)
	}
	for _, se := range f.Severities {
		v.OneOf("severity", se, severities)
	}
	if err := v.Err(); err != nil {
		return page, err
	}
	var wh store.Where
	sc.Where(&wh, "r.agency_id", "r.researcher_id")
	if f.ProgrammeID != "" {
		wh.And("r.programme_id = " + wh.Arg(f.ProgrammeID))
	}
	if f.SystemID != "" {
		wh.And("r.system_id = " + wh.Arg(f.SystemID))
	}
	if f.AgencyID != "" {
		wh.And("r.agency_id = " + wh.Arg(f.AgencyID))
	}
	wh.In("r.status", f.Statuses)
	wh.In("r.severity", f.Severities)
	if q := strings.TrimSpace(f.Query); q != "" {
		wh.And("r.title " + s.db.Dialect.ILike + " " + wh.Arg("%"+store.LikeEscape(q)+"%") + ` ESCAPE '\'`)
	}
	if f.Cursor != "" {
		var c reportCursor
		if err := store.DecodeCursor(f.Cursor, &c); err != nil {
			return page, err
		}
		wh.And("(r.submitted_at < " + wh.Arg(c.N) + " OR (r.submitted_at = " + wh.Arg(c.N) + " AND r.id < " + wh.Arg(c.I) + "))")
	}
	n := store.Limit(f.Limit)
	q := `SELECT ` + reportCols + reportFrom
	q += wh.SQL()
	// Overdue is a property of the clocks, computed in Go: read more rows
	// and filter, still keyset-paginated.
	fetch := n + 1
	if f.Overdue {
		fetch = 1000
	}
	q += " ORDER BY r.submitted_at DESC, r.id DESC LIMIT " + wh.Arg(fetch)
	rows, err := s.db.R().QueryContext(ctx, q, wh.Args()...)
	if err != nil {
		return page, err
	}
	var list []Report
	for rows.Next() {
		r, err := s.scanReport(rows)
		if err != nil {
			rows.Close()
			return page, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	now := s.now()
	for _, r := range list {
		r.Clocks = Clocks(r, r.targets, now)
		if f.Overdue && !slices.ContainsFunc(r.Clocks, func(c Clock) bool { return c.State == ClockOverdue }) {
			continue
		}
		if !staffView(a, &r) {
			r.ReporterEmail, r.EndpointKey, r.FixedThenDenied = "", "", false
		}
		r.Description, r.Steps, r.Impact = "", "", "" // lists carry no bodies
		r.Attachments = []Attachment{}
		page.Items = append(page.Items, r)
		if len(page.Items) > n {
			break
		}
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = store.EncodeCursor(reportCursor{N: last.SubmittedAt.UnixMilli(), I: last.ID})
	}
	return page, nil
}

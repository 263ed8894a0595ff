// Package findings holds the findings of every source — researchers'
// reports, scans, imports and incidents — with their SLA deadlines, status,
// history (read from the audit log) and comments. A finding belongs to one
// system, and so to one agency.
package findings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// The allowed values.
var (
	Sources = []string{"vdp", "bounty", "vrp", "scan", "import", "incident"}
	// Severities are kubu's one severity vocabulary (package severity).
	Severities = severity.Severities
	Statuses   = []string{"open", "in-progress", "fixed", "risk-accepted", "false-positive", "duplicate"}
)

// OpenStatuses are the statuses that still need work (and can be overdue).
var OpenStatuses = []string{"open", "in-progress"}

// Finding is one weakness in one system.
type Finding struct {
	ID             string          `json:"id"`
	SystemID       string          `json:"system_id"`
	System         string          `json:"system"`
	AgencyID       string          `json:"agency_id"`
	Agency         string          `json:"agency"`
	Source         string          `json:"source"`
	SourceRef      string          `json:"source_ref,omitempty"`
	Title          string          `json:"title"`
	Description    string          `json:"description"`
	Severity       string          `json:"severity"`
	CVSSVector     string          `json:"cvss_vector,omitempty"`
	CVSSScore      *float64        `json:"cvss_score,omitempty"`
	CWE            *int            `json:"cwe,omitempty"`
	Status         string          `json:"status"`
	DueAt          *time.Time      `json:"due_at"`
	Overdue        bool            `json:"overdue"`
	DuplicateOf    string          `json:"duplicate_of,omitempty"`
	RiskAcceptance *RiskAcceptance `json:"risk_acceptance,omitempty"`
	CreatedBy      string          `json:"created_by,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ClosedAt       *time.Time      `json:"closed_at,omitempty"`
}

// RiskAcceptance is a request to accept a finding's risk, and its approval.
type RiskAcceptance struct {
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requested_by"`
	ApprovedBy  string     `json:"approved_by,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Pending     bool       `json:"pending"`
}

// Service reads and changes findings.
type Service struct {
	db       *store.DB
	audit    *audit.Log
	registry *registry.Registry
	now      func() time.Time
}

// New returns the findings service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry) *Service {
	return &Service{db: db, audit: log, registry: reg, now: time.Now}
}

// NewFinding is the input to Create.
type NewFinding struct {
	SystemID    string   `json:"system_id"`
	Source      string   `json:"source"`
	SourceRef   string   `json:"source_ref"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    string   `json:"severity"` // may be left out when a CVSS vector or score is given
	CVSSVector  string   `json:"cvss_vector"`
	CVSSScore   *float64 `json:"cvss_score"` // computed from cvss_vector when left out
	CWE         *int     `json:"cwe"`
	// FoundAt backdates the finding (imports, demo data); zero means now.
	FoundAt time.Time `json:"found_at"`
}

func (in *NewFinding) validate() error {
	var v validate.Errors
	in.Title = strings.TrimSpace(in.Title)
	v.Required("title", in.Title, 300)
	v.MaxLen("description", in.Description, 100_000)
	v.OneOf("source", in.Source, Sources)
	v.MaxLen("source_ref", in.SourceRef, 200)
	checkCVSS(&v, &in.CVSSVector, &in.CVSSScore, in.CWE)
	if in.Severity == "" && in.CVSSScore != nil && len(v) == 0 {
		in.Severity = severity.OfScore(*in.CVSSScore)
	}
	v.OneOf("severity", in.Severity, Severities)
	return v.Err()
}

// checkCVSS checks a CVSS vector with the one parser (package severity),
// stores it in its canonical form, and fills the score from it when none
// was given (a given score is kept: tools report temporal or environmental
// scores). It also checks the score's range and the CWE number.
func checkCVSS(v *validate.Errors, vector *string, score **float64, cwe *int) {
	if *vector = strings.TrimSpace(*vector); *vector != "" {
		c, err := severity.ParseCVSS(*vector)
		if err != nil {
			v.Add("cvss_vector", "%v", err)
		} else {
			*vector = c.Vector
			if *score == nil {
				*score = &c.Score
			}
		}
	}
	if *score != nil && !(**score >= 0 && **score <= 10) { // also refuses NaN
		v.Add("cvss_score", "must be between 0.0 and 10.0")
	}
	if cwe != nil && (*cwe < 1 || *cwe > 100000) {
		v.Add("cwe", "must be a CWE number")
	}
}

// Create records a finding on a system the caller may see, with the due
// date its agency's SLA policy gives its severity.
func (s *Service) Create(ctx context.Context, a authz.Actor, in NewFinding) (Finding, error) {
	sys, err := s.registry.System(ctx, a, in.SystemID)
	if errors.Is(err, authz.ErrNotFound) {
		return Finding{}, validate.Errors{{Field: "system_id", Message: "no such system"}}
	}
	if err != nil {
		return Finding{}, err
	}
	if err := authz.Check(a, authz.FindingCreate, authz.Record(sys.AgencyID)); err != nil {
		return Finding{}, err
	}
	if err := in.validate(); err != nil {
		return Finding{}, err
	}
	var f Finding
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		f, err = s.CreateTx(ctx, tx, a.AuditActor(), sys, in)
		return err
	})
	return f, err
}

// CreateTx records a finding inside the caller's transaction. Other domain
// packages use it to turn their records (an accepted report, an incident)
// into findings atomically; they must have checked access to sys already.
func (s *Service) CreateTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, sys registry.System, in NewFinding) (Finding, error) {
	if err := in.validate(); err != nil {
		return Finding{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	found := now
	if !in.FoundAt.IsZero() && in.FoundAt.Before(now) {
		found = in.FoundAt.UTC().Truncate(time.Millisecond)
	}
	pol, err := s.policy(ctx, tx, sys.AgencyID)
	if err != nil {
		return Finding{}, err
	}
	f := Finding{
		ID: id.New(), SystemID: sys.ID, System: sys.Name, AgencyID: sys.AgencyID, Agency: sys.Agency,
		Source: in.Source, SourceRef: in.SourceRef, Title: in.Title, Description: in.Description,
		Severity: in.Severity, CVSSVector: in.CVSSVector, CVSSScore: in.CVSSScore, CWE: in.CWE,
		Status: "open", DueAt: pol.Due(found, in.Severity), CreatedBy: actor.ID, CreatedAt: found, UpdatedAt: now,
	}
	f.Overdue = f.DueAt != nil && f.DueAt.Before(now)
	_, err = tx.ExecContext(ctx, `INSERT INTO findings (id, system_id, agency_id, source, source_ref, title, description,
		severity, severity_rank, cvss_vector, cvss_score, cwe, status, due_at, created_by, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
		f.ID, f.SystemID, f.AgencyID, f.Source, f.SourceRef, f.Title, f.Description, f.Severity, severity.Rank(f.Severity),
		f.CVSSVector, f.CVSSScore, f.CWE, f.Status, millisPtr(f.DueAt), f.CreatedBy, f.CreatedAt.UnixMilli(), f.UpdatedAt.UnixMilli())
	if err != nil {
		return Finding{}, fmt.Errorf("insert finding: %w", err)
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.FindingCreated, Actor: actor, AgencyID: f.AgencyID,
		TargetType: "finding", TargetID: f.ID, After: auditView(f)})
	return f, err
}

// auditView is what the audit log keeps of a finding: everything but the
// long description, whose changes are recorded as a hash.
func auditView(f Finding) map[string]any {
	return map[string]any{
		"system_id": f.SystemID, "source": f.Source, "source_ref": f.SourceRef, "title": f.Title,
		"severity": f.Severity, "cvss_vector": f.CVSSVector, "cvss_score": f.CVSSScore, "cwe": f.CWE,
		"status": f.Status, "due_at": f.DueAt, "duplicate_of": f.DuplicateOf, "risk_acceptance": f.RiskAcceptance,
		"description_sha256": sha256Hex(f.Description),
	}
}

const findingCols = `f.id, f.system_id, s.name, f.agency_id, a.code, f.source, f.source_ref, f.title, f.description,
	f.severity, f.cvss_vector, f.cvss_score, f.cwe, f.status, f.due_at, f.duplicate_of, f.risk_reason, f.risk_requested_by,
	f.risk_approved_by, f.risk_expires_at, f.created_by, f.created_at, f.updated_at, f.closed_at`

const findingFrom = ` FROM findings f JOIN systems s ON s.id = f.system_id JOIN agencies a ON a.id = f.agency_id`

// Get returns one finding the caller may see.
func (s *Service) Get(ctx context.Context, a authz.Actor, findingID string) (Finding, error) {
	if err := authz.Check(a, authz.FindingRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Finding{}, err
	}
	f, err := s.get(ctx, s.db.R(), findingID)
	if err != nil {
		return Finding{}, err
	}
	if err := authz.Check(a, authz.FindingRead, authz.Record(f.AgencyID)); err != nil {
		return Finding{}, err
	}
	return f, nil
}

func (s *Service) get(ctx context.Context, q store.Querier, findingID string) (Finding, error) {
	return s.scan(q.QueryRowContext(ctx, `SELECT `+findingCols+findingFrom+` WHERE f.id = $1`, findingID))
}

func (s *Service) scan(sc store.Scanner) (Finding, error) {
	var f Finding
	var score sql.NullFloat64
	var cwe sql.NullInt64
	var due, riskExp, closed sql.NullInt64
	var dup sql.NullString
	var riskReason, riskReq, riskAppr string
	var created, updated int64
	err := sc.Scan(&f.ID, &f.SystemID, &f.System, &f.AgencyID, &f.Agency, &f.Source, &f.SourceRef, &f.Title, &f.Description,
		&f.Severity, &f.CVSSVector, &score, &cwe, &f.Status, &due, &dup, &riskReason, &riskReq, &riskAppr, &riskExp,
		&f.CreatedBy, &created, &updated, &closed)
	if errors.Is(err, sql.ErrNoRows) {
		return Finding{}, authz.ErrNotFound
	}
	if err != nil {
		return Finding{}, err
	}
	if score.Valid {
		f.CVSSScore = &score.Float64
	}
	if cwe.Valid {
		n := int(cwe.Int64)
		f.CWE = &n
	}
	f.DueAt = timePtr(due)
	f.ClosedAt = timePtr(closed)
	f.DuplicateOf = dup.String
	f.CreatedAt = time.UnixMilli(created).UTC()
	f.UpdatedAt = time.UnixMilli(updated).UTC()
	if riskReq != "" {
		f.RiskAcceptance = &RiskAcceptance{Reason: riskReason, RequestedBy: riskReq, ApprovedBy: riskAppr,
			ExpiresAt: timePtr(riskExp), Pending: riskAppr == ""}
	}
	f.Overdue = slices.Contains(OpenStatuses, f.Status) && f.DueAt != nil && f.DueAt.Before(s.now())
	return f, nil
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

func millisPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// WithClock returns a copy of the service that reads time from now. The
// demo uses it to lay down months of believable history in one go; the
// audit log still records the real time of every change.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

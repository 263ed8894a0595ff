// Package policy is readiness as data: OSCAL catalogues and profiles (IM8
// Reform, NIST SP 800-53, any OSCAL 1.1 JSON) kept side by side, a
// security plan per system with each control's status and evidence,
// deviations from controls with their approvals (IM8 pm-4), the controls
// kubu evidences from its own data (scans, disclosure, deadlines, logs,
// imports), and the OSCAL system-security-plan and assessment-results
// exports.
//
// Every call asks authz: catalogues and profiles are read by all staff and
// loaded by central administrators (policy.read, policy.manage); a plan is
// a record of its system's agency (plan.read, plan.update), and deviations
// are approved centrally (deviation.approve) by someone other than who
// asked. The facts kubu evidences controls with come from other prongs
// through the small interfaces in Sources, wired by the app.
package policy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Audit codes of policies and plans. Stable: never renumber or reuse.
var (
	CatalogLoaded     = audit.Define("J1000I", "policy.catalog.loaded")
	ProfileLoaded     = audit.Define("J1001I", "policy.profile.loaded")
	PlanUpdated       = audit.Define("J1002I", "plan.updated")
	PlanProfileSet    = audit.Define("J1003W", "plan.profile.overridden")
	DeviationAsked    = audit.Define("J1004I", "plan.deviation.requested")
	DeviationApproved = audit.Define("J1005I", "plan.deviation.approved")
	DeviationRejected = audit.Define("J1006W", "plan.deviation.rejected")
)

// NameScan is what the latest scan of one of a system's names says.
type NameScan struct {
	Hostname  string
	ScannedAt time.Time
	NextDueAt time.Time         // when the scanner's cadence has it due again
	IM8       map[string]string // control id → met | not-met | not-applicable
}

// Sources are the facts kubu evidences controls with, each answering for
// many systems at once. A nil source leaves its controls not assessed.
type Sources struct {
	// Scans: the latest scan of each scan target of the systems.
	Scans func(ctx context.Context, systemIDs []string) (map[string][]NameScan, error)
	// VDP: whether each system is in the scope of the open Vulnerability
	// Disclosure Programme.
	VDP func(ctx context.Context, systemIDs []string) (map[string]bool, error)
	// Logs: when each of the systems' hosts last sent an event, by host.
	Logs func(ctx context.Context, systemIDs []string) (map[string]map[string]time.Time, error)
	// Imports: when a system's latest test result (e.g. a penetration
	// test) was imported.
	Imports ImportHistory
}

// ImportHistory answers when a system's latest test result was imported
// (the imports service implements it).
type ImportHistory interface {
	LatestImport(ctx context.Context, systemID string) (time.Time, bool, error)
}

// Options tune the service.
type Options struct {
	Sources Sources
	// ScanGrace is how late a scan may be against its cadence before st-1
	// fails (default 1 day).
	ScanGrace time.Duration
	// PenTestDays is how recent an imported test result must be for st-4
	// (default 365: IM8's annual penetration test).
	PenTestDays int
	// LogsWithin is how recently a host must have sent logs for lm-12
	// (default 24 hours).
	LogsWithin time.Duration
	// DeadlineWindow is how far back closed findings count for st-5
	// (default 365 days).
	DeadlineWindow time.Duration
	Now            func() time.Time
	Log            *slog.Logger
}

// Service keeps catalogues, profiles and plans.
type Service struct {
	db    *store.DB
	audit *audit.Log
	reg   *registry.Registry
	finds *findings.Service
	opts  Options

	mu       sync.Mutex
	resolved map[string]*oscal.Catalog // document id → its controls (documents never change)
}

// New returns the service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, finds *findings.Service, o Options) *Service {
	if o.ScanGrace == 0 {
		o.ScanGrace = 24 * time.Hour
	}
	if o.PenTestDays == 0 {
		o.PenTestDays = 365
	}
	if o.LogsWithin == 0 {
		o.LogsWithin = 24 * time.Hour
	}
	if o.DeadlineWindow == 0 {
		o.DeadlineWindow = 365 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: db, audit: log, reg: reg, finds: finds, opts: o, resolved: map[string]*oscal.Catalog{}}
}

// SetImportHistory wires the imports service once it exists.
func (s *Service) SetImportHistory(h ImportHistory) { s.opts.Sources.Imports = h }

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

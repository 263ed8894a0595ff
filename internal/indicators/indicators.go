// Package indicators is kubu's threat-intelligence domain (contract §7):
// indicators of compromise from STIX 2.1 bundles, TAXII 2.1 collections
// and MISP feeds, stored de-duplicated with their validity, confidence,
// source and TLP; every event taken in matched against the active ones
// (a hit raises an alert of kind "ioc" whose rule_id is the indicator's
// STIX id); retro-hunts by indicator over the retained events; and the
// collection kubu shares over its own TAXII server.
//
// The engines are the standalone packages under internal/intel; this
// package ties them to storage, access, audit and the event log.
package indicators

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intel/match"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Audit codes.
var (
	Imported      = audit.Define("I1000I", "intel.imported")
	Added         = audit.Define("I1001I", "intel.indicator_added")
	Retired       = audit.Define("I1002W", "intel.indicator_retired")
	SourcePolled  = audit.Define("I1003I", "intel.source_polled")
	HuntStarted   = audit.Define("I1004I", "intel.hunt_started")
	HuntFinished  = audit.Define("I1005I", "intel.hunt_finished")
	HuntAborted   = audit.Define("I1006W", "intel.hunt_failed")
	SourceChanged = audit.Define("I1007I", "intel.source_configured")
)

// Options configure the service. Zero fields take the defaults.
type Options struct {
	// Refresh is how often a node checks the indicators version for
	// changes made on other nodes (default 1 s).
	Refresh time.Duration
	// Workers is the number of ioc consumer workers on this node
	// (default 1; negative: none, this node does not match events).
	Workers int
	// BatchSize is the event-log messages per worker transaction
	// (default 8).
	BatchSize int
	// NodeID names this node when it claims retro-hunts and polls.
	NodeID string
	// Sources are the feeds polled (see ParseSources).
	Sources []SourceConfig
	Log     *slog.Logger
	Now     func() time.Time
}

// Service is the threat-intelligence domain.
type Service struct {
	db     *store.DB
	audit  *audit.Log
	detect *detect.Service
	reg    *registry.Registry
	opts   Options
	log    *slog.Logger
	now    func() time.Time

	matcher   match.Matcher
	loaded    atomic.Pointer[loadState]
	matched   atomic.Int64 // events matched by this node's ioc workers
	huntWake  chan struct{}
	lastStamp atomic.Int64 // the last batch stamp handed out (strictly increasing)
}

// loadState is what the current matcher set was built from.
type loadState struct {
	version int64
	next    time.Time // when an indicator starts or ends (zero: never)
	at      time.Time
	took    time.Duration
}

// New returns the service. Run keeps the matcher current and runs the
// ioc consumer, the retro-hunts and the polls.
func New(db *store.DB, log *audit.Log, d *detect.Service, reg *registry.Registry, opts Options) *Service {
	if opts.Refresh <= 0 {
		opts.Refresh = time.Second
	}
	if opts.Workers == 0 {
		opts.Workers = 1
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 8
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NodeID == "" {
		opts.NodeID = "node"
	}
	return &Service{db: db, audit: log, detect: d, reg: reg, opts: opts, log: opts.Log.With("component", "intel"), now: opts.Now,
		huntWake: make(chan struct{}, 1)}
}

// stamp is now, to the millisecond the database keeps.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// batchStamp is a time in milliseconds later than every one handed out
// before by this process, so rows written by one import batch can be
// told from those written before it.
func (s *Service) batchStamp() int64 {
	for {
		last := s.lastStamp.Load()
		n := max(s.now().UnixMilli(), last+1)
		if s.lastStamp.CompareAndSwap(last, n) {
			return n
		}
	}
}

// bumpVersion moves the indicators version every node polls.
func bumpVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE intel_meta SET value = value + 1 WHERE name = 'indicators_version'`)
	return err
}

// Version is the indicators version: it moves with every change.
func (s *Service) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.R().QueryRowContext(ctx, `SELECT value FROM intel_meta WHERE name = 'indicators_version'`).Scan(&v)
	return v, err
}

// Matched is how many events this node's ioc workers have matched.
func (s *Service) Matched() int64 { return s.matched.Load() }

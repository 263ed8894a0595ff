// Package scanning is external scanning inside kubu serve (issue 13,
// contract §9): every hostname of every registered system is scanned by
// the standalone engine (internal/scan) on a cadence set by its risk and on
// demand; results are kept per name with their history and the changes
// between scans; each failed check opens a finding (source scan) on the
// owning system with the agency's deadline, and a later scan that measured
// the check and saw it pass closes it.
//
// Several nodes may share one database: due targets are claimed and turned
// into scans in one transaction, and a scan runs on the node holding its
// lease, so each due target is scanned once.
package scanning

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/store"
)

// Options configure scanning on one node.
type Options struct {
	// Engine configures the scanner: resolver, roots, trust anchors,
	// ports, time limits, connections per address (politeness) and the
	// Refuse hook. Engine.Concurrency is ignored: Concurrency bounds the
	// whole node.
	Engine scan.Options
	// Concurrency is how many names this node scans at once (default 8).
	Concurrency int
	// NodeID names this node in leases (default host name and a random part).
	NodeID string
	// Tick is how often the node looks for due targets and queued scans
	// (default 15 s); a request on this node starts at once.
	Tick time.Duration
	// SyncEvery is how often the targets are re-read from the registry
	// (default 1 min).
	SyncEvery time.Duration
	// LeaseTTL is how long a node holds a scan without renewing it
	// (default 2 min); another node takes over a scan whose lease lapsed.
	LeaseTTL time.Duration
	// Batch is how many due targets one tick turns into scans (default 200).
	Batch int
	// MaxAttempts is how many times a scan is started before it is marked
	// failed (default 3).
	MaxAttempts int
	Log         *slog.Logger
	Now         func() time.Time
}

// Service runs and reads scans.
type Service struct {
	db    *store.DB
	audit *audit.Log
	reg   *registry.Registry
	find  *findings.Service
	o     Options
	log   *slog.Logger

	engineOnce sync.Once
	engine     *scan.Scanner
	engineErr  error

	names  chan struct{} // one token per name being scanned on this node
	kick   chan struct{}
	resync atomic.Bool // re-read the targets on the next turn
	mu     sync.Mutex
	mine   map[string]bool // scans running on this node
}

// New returns the scanning service. It builds the scanner only when Run
// starts, so a node with scanning off still serves requests and reads.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, find *findings.Service, o Options) *Service {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.NodeID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		o.NodeID = host + "/" + hex.EncodeToString(b[:])
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Tick, 15*time.Second)
	def(&o.SyncEvery, time.Minute)
	def(&o.LeaseTTL, 2*time.Minute)
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: db, audit: log, reg: reg, find: find, o: o, log: o.Log,
		names: make(chan struct{}, o.Concurrency), kick: make(chan struct{}, 1), mine: map[string]bool{}}
}

// scanner returns the engine, built on first use.
func (s *Service) scanner() (*scan.Scanner, error) {
	s.engineOnce.Do(func() {
		o := s.o.Engine
		o.Concurrency = s.o.Concurrency
		s.engine, s.engineErr = scan.New(o)
		if s.engineErr != nil {
			s.engineErr = fmt.Errorf("scanner: %w", s.engineErr)
		}
	})
	return s.engine, s.engineErr
}

// Close releases the scanner's connections.
func (s *Service) Close() {
	if s.engine != nil {
		s.engine.Close()
	}
}

// reader is how the service reads the registry for its own plumbing
// (targets, owners): a central read-only role. Nothing it reads is handed
// to a caller without that caller's own check.
var reader = authz.Actor{UserID: "system", Email: "kubu scanner", Role: authz.Analyst}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// wake starts this node's loop at once (after a request).
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// scanActor is how the scanner appears in the audit log and in findings'
// history.
var scanActor = audit.Actor{ID: "system", Label: "kubu scanner"}

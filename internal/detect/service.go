package detect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/sigma"
	"github.com/kubu-gov/kubu/internal/store"
)

// Unassigned is the agency code of events from unmapped syslog senders
// (the same as intake.Unassigned).
const Unassigned = "unassigned"

// Options tune detection. Zero fields take the defaults.
type Options struct {
	// Workers is the number of detection workers on this node (each with
	// its own matcher); default GOMAXPROCS.
	Workers int
	// BatchSize is the event-log messages (batches of up to 5,000 events)
	// per worker transaction; default 8. Smaller means lower latency, larger
	// a little more throughput.
	BatchSize int
	// GroupWindow: a match joins the open alert of its rule, agency and
	// group last seen within this window; default 1h.
	GroupWindow time.Duration
	// SilenceAfter: a source (agency, protocol, host) silent this long
	// raises an alert; default 1h, negative disables.
	SilenceAfter time.Duration
	// RuleRefresh is how often a node checks for rule changes made on
	// other nodes; default 2s.
	RuleRefresh time.Duration
	// NodeID names this node in leases; default hostname and a random part.
	NodeID string
	// LeaseTTL is how long the leader lease lasts unrenewed; default 15s.
	LeaseTTL time.Duration
	// MaxStoredEvents is how many matched events each alert keeps in full;
	// default 20 (the rest are kept by id).
	MaxStoredEvents int
	// Mapping and Placeholders are passed to sigma.Compile.
	Mapping      *sigma.Mapping
	Placeholders map[string][]string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	if o.GroupWindow <= 0 {
		o.GroupWindow = time.Hour
	}
	if o.SilenceAfter == 0 {
		o.SilenceAfter = time.Hour
	}
	if o.RuleRefresh <= 0 {
		o.RuleRefresh = 2 * time.Second
	}
	if o.NodeID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		o.NodeID = host + "/" + hex.EncodeToString(b[:])
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.MaxStoredEvents <= 0 {
		o.MaxStoredEvents = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Service is detection: rules, alerts, correlation, silence, hunts.
type Service struct {
	db    *store.DB
	audit *audit.Log
	log   *slog.Logger
	opts  Options
	now   func() time.Time

	rules   atomic.Pointer[ruleSet]
	parseMu sync.Mutex
	parsed  parseCache
	changed chan struct{}

	elog     atomic.Pointer[eventlog.Log]
	huntWake chan struct{}

	codes *registry.Codes
	hosts *registry.Hosts // the system of an alert's host

	evaluated     atomic.Int64 // events matched by this node's workers
	huntPasses    atomic.Int64 // passes over the log by this node's retro-hunts
	silenceChecks atomic.Int64 // silence checks finished on this node (a test's sentinel)
}

// New returns detection over db. Run starts it.
func New(db *store.DB, log *audit.Log, logger *slog.Logger, opts Options) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	opts = opts.withDefaults()
	return &Service{db: db, audit: log, log: logger.With("component", "detect"), opts: opts, now: opts.Now,
		parsed: parseCache{}, changed: make(chan struct{}, 1), huntWake: make(chan struct{}, 1), codes: registry.NewCodes(db),
		hosts: registry.NewHosts(db)}
}

// Evaluated is how many events this node's workers have matched.
func (s *Service) Evaluated() int64 { return s.evaluated.Load() }

// Run compiles the rules, then runs the detection workers, the rule
// reload loop and, while this node holds the leader lease, correlation,
// the silence check and retro-hunts, until ctx ends. It returns once all
// of them have stopped.
func (s *Service) Run(ctx context.Context, log *eventlog.Log) error {
	s.elog.Store(log)
	if err := s.reload(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	run := func(fn func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	run(s.runReload)
	for range s.opts.Workers {
		run(func(ctx context.Context) { s.runWorker(ctx, log) })
	}
	run(func(ctx context.Context) { s.runLeader(ctx, log) })
	wg.Wait()
	return nil
}

// consumeLoop runs fn's Consume until ctx ends, restarting it after
// errors.
func (s *Service) consumeLoop(ctx context.Context, name string, consume func(context.Context) error) {
	for ctx.Err() == nil {
		err := consume(ctx)
		if ctx.Err() != nil || errors.Is(err, eventlog.ErrClosed) {
			return
		}
		s.log.Error("event log consumer stopped; restarting", "consumer", name, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// agencyID maps an agency code to its id ("" for unassigned or unknown).
func (s *Service) agencyID(ctx context.Context, code string) string {
	if code == "" || code == Unassigned {
		return ""
	}
	return s.codes.ID(ctx, code)
}

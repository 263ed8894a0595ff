// Package feeds publishes the active containment blocks to the devices
// that enforce them (contract §7): external dynamic lists that firewalls
// fetch over HTTP with a feed token (Palo Alto EDL, FortiGate external
// resources), and a DNS response policy zone that resolvers transfer.
//
// Every node keeps the lists in memory and rebuilds them when the
// containment version in the database moves (polled every second) or
// when the next active block reaches its expiry, so a change made on any
// node is published by all of them within about a second.
package feeds

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/intel/edl"
	"github.com/kubu-gov/kubu/internal/intel/rpz"
	"github.com/kubu-gov/kubu/internal/store"
)

// Audit codes.
var (
	TokenCreated = audit.Define("I1100I", "feed_token.created")
	TokenRevoked = audit.Define("I1101W", "feed_token.revoked")
)

// Options configure the service.
type Options struct {
	// RPZ, when set, is the response policy zone kept equal to the active
	// domain blocks.
	RPZ *rpz.Server
	// Poll is how often the containment version is checked (default 1 s).
	Poll time.Duration
	Log  *slog.Logger
	Now  func() time.Time
}

// Service holds the feed tokens and the published lists.
type Service struct {
	db      *store.DB
	audit   *audit.Log
	contain *contain.Service
	opts    Options
	log     *slog.Logger
	now     func() time.Time

	lists atomic.Pointer[lists]
}

// lists is one rendering of the active blocks.
type lists struct {
	version int64
	next    time.Time // the earliest expiry among them (zero: none)
	edl     map[edl.Kind][]byte
	domains []string
}

// New returns the service; Run keeps the lists current.
func New(db *store.DB, log *audit.Log, c *contain.Service, opts Options) *Service {
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, audit: log, contain: c, opts: opts, log: opts.Log.With("component", "feeds"), now: opts.Now}
}

// Refresh rebuilds the lists and the zone from the database now.
func (s *Service) Refresh(ctx context.Context) error {
	v, err := s.contain.Version(ctx)
	if err != nil {
		return err
	}
	blocks, err := s.contain.Active(ctx)
	if err != nil {
		return err
	}
	values := map[edl.Kind][]string{}
	l := &lists{version: v, edl: map[edl.Kind][]byte{}}
	for _, b := range blocks {
		switch b.Type {
		case contain.TypeIP, contain.TypeCIDR:
			values[edl.IP] = append(values[edl.IP], b.Value)
		case contain.TypeDomain:
			values[edl.Domain] = append(values[edl.Domain], b.Value)
			l.domains = append(l.domains, b.Value)
		case contain.TypeURL:
			values[edl.URL] = append(values[edl.URL], b.Value)
		default:
			continue // accounts are not published
		}
		if l.next.IsZero() || b.ExpiresAt.Before(l.next) {
			l.next = b.ExpiresAt
		}
	}
	for _, k := range []edl.Kind{edl.IP, edl.Domain, edl.URL} {
		out, rejected := edl.Render(k, values[k], edl.Options{})
		for _, r := range rejected {
			s.log.Warn("value left out of a block list", "list", k, "value", r.Value, "reason", r.Reason)
		}
		l.edl[k] = out
	}
	if s.opts.RPZ != nil {
		if _, rejected := s.opts.RPZ.Update(l.domains); len(rejected) > 0 {
			s.log.Warn("domains left out of the response policy zone", "domains", rejected)
		}
	}
	s.lists.Store(l)
	return nil
}

// Run refreshes the lists at start, whenever the containment version
// moves and when the next block expires, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		if err := s.refreshIfStale(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("feeds refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) refreshIfStale(ctx context.Context) error {
	l := s.lists.Load()
	if l != nil {
		v, err := s.contain.Version(ctx)
		if err != nil {
			return err
		}
		if v == l.version && (l.next.IsZero() || s.now().Before(l.next)) {
			return nil
		}
	}
	return s.Refresh(ctx)
}

// EDL returns the list of kind as firewalls read it: one entry a line.
func (s *Service) EDL(ctx context.Context, kind edl.Kind) ([]byte, error) {
	if s.lists.Load() == nil {
		if err := s.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	return s.lists.Load().edl[kind], nil
}

package intake

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Defaults of Options.
const (
	DefaultMaxBody        = 32 << 20 // 32 MiB, after decompression
	DefaultMaxEvent       = 1 << 20  // 1 MiB per event
	DefaultMaxBatchBytes  = 1 << 20  // 1 MiB per event-log message
	DefaultMaxBatchEvents = 5000
	DefaultRate           = 1000 // requests per second per token
	DefaultMaxSyslogFrame = 64 << 10
	DefaultMaxSyslogConns = 2000 // per TCP or TLS listener
	// DefaultSyslogIdleTimeout closes a silent syslog TCP/TLS connection.
	// It is long: senders such as syslog-ng keep one connection open for
	// their lifetime and learn that it was closed only when they next
	// write, then wait a minute or more to reconnect.
	DefaultSyslogIdleTimeout = 24 * time.Hour
	// DefaultSyslogHandshakeTimeout bounds a TLS handshake from its first byte.
	DefaultSyslogHandshakeTimeout = 10 * time.Second
)

// Options tune the intake. Zero fields take the defaults.
type Options struct {
	// MaxBody bounds one request body after decompression; larger bodies
	// are refused (413) without being read whole.
	MaxBody int64
	// MaxEvent bounds one event; larger events are refused on their own.
	MaxEvent int
	// MaxBatchBytes and MaxBatchEvents bound one event-log message.
	MaxBatchBytes  int
	MaxBatchEvents int
	// Rate is the requests per second each intake token may send (with a
	// burst of as many); past it the answer is 429 with Retry-After.
	// Negative means unlimited.
	Rate int
	// Sources maps syslog senders to agencies; nil maps none.
	Sources *SourceTable
	// MaxSyslogFrame bounds one syslog message over TCP or TLS.
	MaxSyslogFrame int
	// MaxSyslogConns bounds the open connections of each syslog TCP or TLS
	// listener; when full, a TLS connection still waiting for its first
	// byte is closed to make room.
	MaxSyslogConns int
	// SyslogIdleTimeout closes a TCP or TLS connection that sends nothing
	// for this long (a TLS connection's wait for its handshake included).
	SyslogIdleTimeout time.Duration
	// SyslogHandshakeTimeout bounds a TLS handshake, counted from the
	// connection's first byte.
	SyslogHandshakeTimeout time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxEvent <= 0 {
		o.MaxEvent = DefaultMaxEvent
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxBatchEvents <= 0 {
		o.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.MaxSyslogFrame <= 0 {
		o.MaxSyslogFrame = DefaultMaxSyslogFrame
	}
	if o.MaxSyslogConns <= 0 {
		o.MaxSyslogConns = DefaultMaxSyslogConns
	}
	if o.SyslogIdleTimeout <= 0 {
		o.SyslogIdleTimeout = DefaultSyslogIdleTimeout
	}
	if o.SyslogHandshakeTimeout <= 0 {
		o.SyslogHandshakeTimeout = DefaultSyslogHandshakeTimeout
	}
	if o.Sources == nil {
		o.Sources = &SourceTable{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Service is the intake: tokens, HTTP handlers, syslog listeners, counters.
type Service struct {
	db    *store.DB
	audit *audit.Log
	reg   *registry.Registry
	log   *slog.Logger
	opts  Options
	now   func() time.Time

	elog   atomic.Pointer[eventlog.Log]
	tokens *tokenCache
	stats  *stats
	acks   *ackStore
	limit  *ratelimit.Limiter
	norms  sync.Pool // *normaliser
	bufs   sync.Pool // *pending

	codes *registry.Codes

	unassigned *unassignedLog
	draining   atomic.Bool
	inflight   sync.WaitGroup
	press      *pressure
}

// New returns the intake over db. It accepts events only once Attach has
// given it an event log.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, logger *slog.Logger, opts Options) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	opts = opts.withDefaults()
	s := &Service{db: db, audit: log, reg: reg, log: logger.With("component", "intake"), opts: opts, now: opts.Now,
		tokens: &tokenCache{entries: map[string]tokenEntry{}}, codes: registry.NewCodes(db)}
	s.stats = newStats(db, opts.Now)
	s.acks = newAckStore(db, maxAcksPerChannel)
	if opts.Rate > 0 {
		s.limit = ratelimit.New(opts.Rate, time.Second)
	}
	s.norms.New = func() any { return new(normaliser) }
	s.bufs.New = func() any { return new(pending) }
	s.unassigned = newUnassignedLog(db, opts.Now)
	s.press = newPressure()
	return s
}

// Attach gives the intake the event log to store events in.
func (s *Service) Attach(l *eventlog.Log) { s.elog.Store(l) }

func (s *Service) eventLog() *eventlog.Log { return s.elog.Load() }

// agencyCode returns the code of an agency id (Unassigned for none, ""
// when unknown).
func (s *Service) agencyCode(ctx context.Context, agencyID string) string {
	if agencyID == "" {
		return Unassigned
	}
	return s.codes.Code(ctx, agencyID)
}

// agencyID returns the id of an agency code ("" for Unassigned or unknown).
func (s *Service) agencyID(ctx context.Context, code string) string {
	if code == Unassigned {
		return ""
	}
	return s.codes.ID(ctx, code)
}

// BeginDrain makes the HTTP handlers answer new requests with each
// protocol's retryable busy answer (HEC code 9, Elasticsearch
// es_rejected_execution_exception, OTLP UNAVAILABLE; 503 with Retry-After).
func (s *Service) BeginDrain() { s.draining.Store(true) }

// Draining reports whether the drain has begun.
func (s *Service) Draining() bool { return s.draining.Load() }

// Drain begins the drain and waits up to ctx for requests already storing
// events to finish.
func (s *Service) Drain(ctx context.Context) {
	s.draining.Store(true)
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// ListenerConfig says where the syslog listeners listen.
type ListenerConfig struct {
	UDP, TCP, TLS string      // addresses; "" = off
	TLSConfig     *tls.Config // for TLS; client certificates optional
}

// Package contain is kubu's containment domain (contract §7): actions that
// block an address, a range, a domain or a URL (published to firewalls and
// resolvers by the feeds), or disable an account at the identity provider
// over SCIM; each with a reason, an expiry, an optional incident, a dry run,
// two-person approval, revocation, automatic expiry and a full audit trail.
//
// State changes are written with their audit entry (and the incident's
// timeline entry) in one transaction, and bump the containment version
// that every node polls. Calls to the outside world — SCIM, the signed SOAR
// webhook — happen after the change commits, from an outbox in the same
// row that a job on any node claims, retries and records.
package contain

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/contain/guard"
	"github.com/kubu-gov/kubu/internal/contain/scim"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// Target types.
const (
	TypeIP      = "ip"
	TypeCIDR    = "cidr"
	TypeDomain  = "domain"
	TypeURL     = "url"
	TypeAccount = "account"
)

// Types lists the target types.
var Types = []string{TypeIP, TypeCIDR, TypeDomain, TypeURL, TypeAccount}

// Statuses.
const (
	StatusPending = "pending"
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// Statuses lists the statuses.
var Statuses = []string{StatusPending, StatusActive, StatusExpired, StatusRevoked}

// Audit codes.
var (
	Requested       = audit.Define("C1000I", "containment.requested")
	Approved        = audit.Define("C1001I", "containment.approved")
	Activated       = audit.Define("C1002I", "containment.activated")
	Revoked         = audit.Define("C1003W", "containment.revoked")
	Expired         = audit.Define("C1004W", "containment.expired")
	ConnectorDone   = audit.Define("C1005I", "containment.connector_done")
	ConnectorFailed = audit.Define("C1006W", "containment.connector_failed")
)

// TimelineWriter adds an entry to an incident's timeline inside the
// caller's transaction (the incident package provides it). It returns
// authz.ErrNotFound for an incident that does not exist.
type TimelineWriter interface {
	AddTimelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, kind, actor, text string) error
}

// Options configure the service. Zero fields take the defaults.
type Options struct {
	// OnePerson turns two-person approval off: requests are active at once
	// (--containment-two-person=false).
	OnePerson bool
	// Guard holds the guard rails (own addresses, allow-list, limits).
	Guard *guard.Policy
	// SCIM is the account connector; nil refuses account actions.
	SCIM *scim.Client
	// Webhook, when set, is told of every action that becomes active and
	// every one that ends (a SOAR playbook).
	Webhook *webhook.Sender
	// Timeline writes containment entries on linked incidents; nil keeps
	// only the incident id.
	Timeline TimelineWriter
	// MaxTTL bounds an action's life (default 90 days); MinTTL is the
	// shortest (default 1 minute).
	MaxTTL, MinTTL time.Duration
	// SyncAttempts bounds the tries of a connector call (default 8, backing
	// off from 5 s to 10 minutes).
	SyncAttempts int
	Log          *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

// Service is the containment domain.
type Service struct {
	db    *store.DB
	audit *audit.Log
	opts  Options
	log   *slog.Logger
	now   func() time.Time
}

// New returns the service over db.
func New(db *store.DB, log *audit.Log, opts Options) *Service {
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = 90 * 24 * time.Hour
	}
	if opts.MinTTL <= 0 {
		opts.MinTTL = time.Minute
	}
	if opts.SyncAttempts <= 0 {
		opts.SyncAttempts = 8
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Guard == nil {
		opts.Guard = &guard.Policy{}
	}
	return &Service{db: db, audit: log, opts: opts, log: opts.Log.With("component", "contain"), now: opts.Now}
}

// TwoPerson reports whether requests wait for a second person.
func (s *Service) TwoPerson() bool { return !s.opts.OnePerson }

// stamp is now, to the millisecond the database keeps.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// bumpVersion moves the containment version that every node polls.
func bumpVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE intel_meta SET value = value + 1 WHERE name = 'containment_version'`)
	return err
}

// Version is the containment version: it moves with every change of what
// the feeds publish.
func (s *Service) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.R().QueryRowContext(ctx, `SELECT value FROM intel_meta WHERE name = 'containment_version'`).Scan(&v)
	return v, err
}

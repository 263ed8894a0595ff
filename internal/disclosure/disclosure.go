// Package disclosure runs kubu's community programmes: the Vulnerability
// Disclosure Programme (anyone may report, anonymously), bug bounty
// editions and the Vulnerability Rewards Programme.
//
// It holds programmes (scope, rules, versioned reward tables), researchers
// (self-registration with email verification, invitations, reputation),
// reports (lifecycle, messages and internal notes, encrypted attachments,
// clocks against the programme's targets, duplicate ranking), rewards (two
// people: a triager proposes, a different wog-admin approves) and metrics.
// An accepted report becomes a finding of its system's agency through
// findings.Service.CreateTx in the same transaction.
//
// Every method takes the acting caller and asks authz; a report the caller
// may not see answers authz.ErrNotFound exactly like a missing one.
// Anonymous reporters prove themselves with the report's follow-up token,
// which is stored as a SHA-256 hash and compared in constant time.
package disclosure

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Options configure the service.
type Options struct {
	// PublicURL is the base of links in email ("https://kubu.example.gov").
	PublicURL string
	// Mail sends notifications; nil drops them.
	Mail mail.Sender
	// Log records failures of background work (mail, jobs).
	Log *slog.Logger
	// Accounts makes researchers' accounts (self-registration and
	// verification); without it Register and Verify fail.
	Accounts *accounts.Service
}

// Service is the community programmes.
type Service struct {
	db        *store.DB
	audit     *audit.Log
	registry  *registry.Registry
	findings  *findings.Service
	files     *keys.Sealer // attachments
	pii       *keys.Sealer // reporters' email addresses
	mail      mail.Sender
	log       *slog.Logger
	publicURL string
	accounts  *accounts.Service
	hosts     *registry.Hosts
	batch     batcher
	now       func() time.Time
}

// New returns the service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, fs *findings.Service, ring *keys.Ring, o Options) *Service {
	s := &Service{
		db: db, audit: log, registry: reg, findings: fs,
		files: ring.Sealer("disclosure/attachments"), pii: ring.Sealer("disclosure/pii"),
		mail: o.Mail, log: o.Log, publicURL: o.PublicURL, accounts: o.Accounts, now: time.Now,
	}
	if s.mail == nil {
		s.mail = mail.Discard{Log: o.Log}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hosts = registry.NewHosts(db)
	return s
}

// WithClock returns a copy of the service reading time from now (tests
// and the demo use it to stand at another moment).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := &Service{db: s.db, audit: s.audit, registry: s.registry, findings: s.findings, files: s.files, pii: s.pii,
		mail: s.mail, log: s.log, publicURL: s.publicURL, accounts: s.accounts, hosts: s.hosts, now: now}
	return c
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

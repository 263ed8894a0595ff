// Package incident runs incident response (issue 10, contract §6):
// incidents of one or several agencies made from alerts, from findings or by
// hand; the lifecycle new → analysing → contained → eradicated → recovered →
// closed with its SLA clocks; linked alerts, findings and systems; tasks from
// per-category playbooks; the timeline; observables with TLP; the
// post-incident review with follow-up findings and the report (Markdown and
// PDF); metrics; on-call rotations, the escalation policy and paging.
//
// An incident belongs to its agencies and is led centrally. Central roles
// see every incident; an agency role sees an incident that lists its agency
// and, of its linked records, only its own agency's (the others appear as a
// count). Every check is authz.Check with authz.Record(incident's agencies).
package incident

import (
	"log/slog"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// Statuses in lifecycle order (NIST SP 800-61r3 mapping in docs/incidents.md).
const (
	StatusNew        = "new"
	StatusAnalysing  = "analysing"
	StatusContained  = "contained"
	StatusEradicated = "eradicated"
	StatusRecovered  = "recovered"
	StatusClosed     = "closed"
)

// Statuses lists the lifecycle in order.
var Statuses = []string{StatusNew, StatusAnalysing, StatusContained, StatusEradicated, StatusRecovered, StatusClosed}

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low"}

// severityRank orders severities: critical 4 … low 1 (0 unknown).
func severityRank(s string) int {
	if i := slices.Index(Severities, s); i >= 0 {
		return len(Severities) - i
	}
	return 0
}

// Category is one of the fixed incident categories.
type Category struct {
	Code, Label, Description string
}

// Categories is the fixed, documented list (docs/incidents.md).
var Categories = []Category{
	{"malware", "Malware", "Malicious code on a system: ransomware, trojans, worms, cryptominers."},
	{"phishing", "Phishing", "Deceptive messages that steal credentials or deliver malware."},
	{"unauthorised-access", "Unauthorised access", "An account or system used by someone not allowed to."},
	{"data-leak", "Data leak", "Information disclosed to people who should not have it."},
	{"denial-of-service", "Denial of service", "A service made unavailable by traffic or resource exhaustion."},
	{"web-defacement", "Web defacement", "A website's content changed by an attacker."},
	{"vulnerability-exploitation", "Vulnerability exploitation", "A weakness in a system exploited by an attacker."},
	{"insider", "Insider", "Harm done by a person with legitimate access."},
	{"other", "Other", "Anything else."},
}

// CategoryCodes lists the category codes.
func CategoryCodes() []string {
	out := make([]string, len(Categories))
	for i, c := range Categories {
		out[i] = c.Code
	}
	return out
}

// Options configure the service. Zero fields take the defaults.
type Options struct {
	Targets   Targets      // SLA targets per severity; zero: DefaultTargets
	PublicURL string       // base of links in pages and reports
	Mail      mail.Sender  // pages by email; nil drops them (logged)
	Sealer    *keys.Sealer // seals webhook secrets at rest
	Chromium  string       // Chromium or Chrome binary for PDF reports; "" looks it up
	NodeID    string       // this node, in the pages it claims
	Log       *slog.Logger
	Now       func() time.Time // the clock (tests); nil means time.Now
}

// Service is incident response.
type Service struct {
	db       *store.DB
	audit    *audit.Log
	registry *registry.Registry
	findings *findings.Service
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	pdf      *printer
}

// New returns the incident service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, fs *findings.Service, opts Options) *Service {
	if opts.Targets.empty() {
		opts.Targets = DefaultTargets()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.NodeID == "" {
		opts.NodeID = defaultNodeID()
	}
	s := &Service{db: db, audit: log, registry: reg, findings: fs, opts: opts, now: opts.Now, log: opts.Log.With("component", "incident")}
	s.pdf = newPrinter(opts.Chromium)
	return s
}

// stamp is now, to the millisecond, in UTC.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Targets returns the SLA targets in force.
func (s *Service) Targets() Targets { return s.opts.Targets }

// WebhookSealPurpose names the key that seals webhook secrets at rest.
const WebhookSealPurpose = "oncall-webhook-secret"

// WithClock returns a copy of the service reading time from now (the demo
// backdates incidents with it).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	c.opts.Now = now
	return &c
}

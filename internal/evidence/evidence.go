// Package evidence is the evidence locker of incident response (issue 11,
// contract §8): evidence files of an incident, streamed into an encrypted,
// write-once blob store with their SHA-256, SHA-1 and MD5 taken at intake;
// metadata (collected when, by whom, from which system, how); a chain of
// custody; a re-hash on every read; and the case bundle of an incident.
//
// Every evidence event — intake with its hashes, custody entries, reads,
// integrity failures, bundle exports — is an audit entry, so its inclusion
// in kubu's log can be proved.
//
// Evidence belongs to an incident. Incidents are another package's: this one
// needs only the small Incidents interface, and decides access with authz
// on the incident's agencies.
package evidence

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/bundle"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/store"
)

// Incident is what evidence needs to know of an incident.
type Incident struct {
	ID        string
	Title     string
	AgencyIDs []string // the agencies the incident belongs to (one or more)
}

// Incidents finds incidents. It does no access check: evidence asks authz
// with the incident's agencies. A missing incident is an error wrapping
// ErrIncidentNotFound.
type Incidents interface {
	Incident(ctx context.Context, id string) (Incident, error)
}

// Timelines is optionally implemented by Incidents: the incident's timeline
// for its case bundle, oldest first.
type Timelines interface {
	Timeline(ctx context.Context, incidentID string) ([]bundle.TimelineEntry, error)
}

// ActorTimelines is optionally implemented by Incidents: the timeline as
// the exporting caller may see it (an agency's export leaves other
// agencies' entries out). When present, a bundle uses it instead of
// Timelines.
type ActorTimelines interface {
	TimelineFor(ctx context.Context, a authz.Actor, incidentID string) ([]bundle.TimelineEntry, error)
}

// TimelineWriter is optionally implemented by Incidents: evidence received
// and custody entries are added to the incident's timeline in the
// transaction that records them.
type TimelineWriter interface {
	AddTimelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, kind, actor, text string) error
}

// timelineTx adds an entry to the incident's timeline when Incidents can.
func (s *Service) timelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, actor, text string) error {
	if tw, ok := s.incidents.(TimelineWriter); ok {
		return tw.AddTimelineTx(ctx, tx, incidentID, at, "evidence", actor, text)
	}
	return nil
}

// ErrIncidentNotFound is what Incidents answers for a missing incident.
var ErrIncidentNotFound = errors.New("incident not found")

// ErrIntegrity is wrapped by every error about stored evidence that is not
// what was stored (the API answers 409 integrity_failed). errors.As finds
// the *blob.IntegrityError with the details.
var ErrIntegrity = errors.New("integrity_failed")

// Item is an evidence item: its metadata, the hashes taken at intake and
// its chain of custody.
type Item struct {
	ID           string     `json:"id"`
	IncidentID   string     `json:"incident_id"`
	Name         string     `json:"name"`
	ContentType  string     `json:"content_type,omitempty"`
	Description  string     `json:"description"`
	CollectedAt  *time.Time `json:"collected_at,omitempty"`
	CollectedBy  string     `json:"collected_by"`
	SourceSystem string     `json:"source_system,omitempty"`
	Method       string     `json:"method,omitempty"`
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	SHA1         string     `json:"sha1"`
	MD5          string     `json:"md5"`
	IntakeSeq    int64      `json:"intake_audit_seq"`
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    string     `json:"created_by"`
	Custody      []Custody  `json:"custody"`
}

// Custody is one chain-of-custody entry.
type Custody struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Note     string    `json:"note"`
	To       string    `json:"to,omitempty"`
	AuditSeq int64     `json:"audit_seq"`
}

// Actions a custody entry may record (contract §8).
var Actions = []string{"transferred", "examined", "copied", "sealed", "returned"}

// Options configure the service.
type Options struct {
	MaxSize int64 // largest evidence file in bytes; 0 = no limit
}

// Service is the evidence locker.
type Service struct {
	db        *store.DB
	audit     *audit.Log
	blobs     blob.Store
	storage   string // the name of the blob store kind, kept per item
	incidents Incidents
	opts      Options
	now       func() time.Time
}

// New returns the evidence service. storage names the kind of blobs ("local").
func New(db *store.DB, log *audit.Log, blobs blob.Store, storage string, incidents Incidents, opts Options) *Service {
	return &Service{db: db, audit: log, blobs: blobs, storage: storage, incidents: incidents, opts: opts, now: time.Now}
}

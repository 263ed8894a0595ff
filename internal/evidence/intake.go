package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Intake is the metadata given with an evidence file.
type Intake struct {
	Name         string     // the original file name
	ContentType  string     // as the uploader's client said
	Description  string     // what it is
	CollectedAt  *time.Time // when it was collected
	CollectedBy  string     // who collected it
	SourceSystem string     // from which system (a name, hostname or kubu system id)
	Method       string     // how (tool and procedure, e.g. "FTK Imager 4.7, E01, write blocker")
}

func (in *Intake) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.CollectedBy = strings.TrimSpace(in.CollectedBy)
	var v validate.Errors
	v.Required("file", in.Name, 255)
	v.MaxLen("content_type", in.ContentType, 200)
	v.MaxLen("description", in.Description, 20000)
	v.MaxLen("collected_by", in.CollectedBy, 200)
	v.MaxLen("source_system", in.SourceSystem, 500)
	v.MaxLen("method", in.Method, 2000)
	if strings.ContainsAny(in.Name, "\x00/\\") {
		v.Add("file", "the file name may not contain / \\ or NUL")
	}
	return v.Err()
}

// intakeRecord is the after snapshot of the intake audit entry. A case
// bundle checks each evidence file's SHA-256 and size against it.
type intakeRecord struct {
	ID           string     `json:"id"`
	IncidentID   string     `json:"incident_id"`
	Name         string     `json:"name"`
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	SHA1         string     `json:"sha1"`
	MD5          string     `json:"md5"`
	Description  string     `json:"description,omitempty"`
	CollectedAt  *time.Time `json:"collected_at,omitempty"`
	CollectedBy  string     `json:"collected_by,omitempty"`
	SourceSystem string     `json:"source_system,omitempty"`
	Method       string     `json:"method,omitempty"`
}

// Add streams r into the locker as evidence of incident incidentID. The
// bytes go to the blob store first (hashed and encrypted on the way, in
// bounded memory); then the item and its intake audit entry, which records
// the hashes, commit together.
func (s *Service) Add(ctx context.Context, a authz.Actor, incidentID string, in Intake, r io.Reader) (Item, error) {
	return s.add(ctx, a, incidentID, in, r, nil)
}

// add is Add with a last check between storing the bytes and recording
// the item: when stored fails, nothing is recorded.
func (s *Service) add(ctx context.Context, a authz.Actor, incidentID string, in Intake, r io.Reader, stored func() error) (Item, error) {
	inc, err := s.incident(ctx, incidentID)
	if err != nil {
		return Item{}, err
	}
	if err := check(a, ActAdd, inc.AgencyIDs); err != nil {
		return Item{}, err
	}
	if err := in.validate(); err != nil {
		return Item{}, err
	}
	evID := id.New()
	obj, err := s.blobs.Put(ctx, evID, r, blob.PutOptions{MaxSize: s.opts.MaxSize})
	if errors.Is(err, blob.ErrTooLarge) {
		return Item{}, validate.Errors{{Field: "file", Message: fmt.Sprintf("larger than the limit of %d bytes", s.opts.MaxSize)}}
	}
	if err != nil {
		return Item{}, fmt.Errorf("evidence: store the file: %w", err)
	}
	if stored != nil {
		if err := stored(); err != nil {
			return Item{}, err // the object stays unreferenced, never served
		}
	}
	return s.record(ctx, a, inc, in, obj, nil)
}

// record writes the item of a stored object and its intake audit entry in
// one transaction; also runs in that transaction when set.
func (s *Service) record(ctx context.Context, a authz.Actor, inc Incident, in Intake, obj blob.Object, also func(tx *sql.Tx) error) (Item, error) {
	evID := obj.ID
	now := s.now().UTC().Truncate(time.Millisecond)
	var collected *time.Time
	if in.CollectedAt != nil {
		c := in.CollectedAt.UTC().Truncate(time.Millisecond)
		collected = &c
	}
	it := Item{ID: evID, IncidentID: inc.ID, Name: in.Name, ContentType: in.ContentType, Description: in.Description,
		CollectedAt: collected, CollectedBy: in.CollectedBy, SourceSystem: in.SourceSystem, Method: in.Method,
		Size: obj.Size, SHA256: obj.SHA256, SHA1: obj.SHA1, MD5: obj.MD5, CreatedAt: now, CreatedBy: a.AuditActor().Label,
		Custody: []Custody{}}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := s.audit.Append(ctx, tx, audit.Entry{Code: Received, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence", TargetID: evID, After: intakeRecord{ID: evID, IncidentID: inc.ID, Name: it.Name, Size: it.Size,
				SHA256: it.SHA256, SHA1: it.SHA1, MD5: it.MD5, Description: it.Description, CollectedAt: collected,
				CollectedBy: it.CollectedBy, SourceSystem: it.SourceSystem, Method: it.Method}})
		if err != nil {
			return err
		}
		it.IntakeSeq = seq
		_, err = tx.ExecContext(ctx, `INSERT INTO evidence (id, incident_id, name, content_type, description, collected_at,
			collected_by, source_system, method, size, sha256, sha1, md5, storage, intake_seq, created_by, created_label, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
			it.ID, it.IncidentID, it.Name, it.ContentType, it.Description, millis(collected), it.CollectedBy, it.SourceSystem,
			it.Method, it.Size, it.SHA256, it.SHA1, it.MD5, s.storage, it.IntakeSeq, a.UserID, it.CreatedBy, now.UnixMilli())
		if err != nil {
			return err
		}
		if err := s.timelineTx(ctx, tx, inc.ID, now, it.CreatedBy, fmt.Sprintf("Evidence received: %s (%d bytes, SHA-256 %s)", it.Name, it.Size, it.SHA256)); err != nil {
			return err
		}
		if also == nil {
			return nil
		}
		return also(tx)
	})
	if err != nil {
		// The stored object has no record and is never served; it stays as
		// an orphan (objects are never deleted) — see docs/operations.md.
		return Item{}, fmt.Errorf("evidence: record the intake: %w", err)
	}
	return it, nil
}

func (s *Service) incident(ctx context.Context, incidentID string) (Incident, error) {
	inc, err := s.incidents.Incident(ctx, incidentID)
	if errors.Is(err, ErrIncidentNotFound) {
		return Incident{}, authz.ErrNotFound
	}
	return inc, err
}

func firstAgency(inc Incident) string {
	if len(inc.AgencyIDs) == 0 {
		return ""
	}
	return inc.AgencyIDs[0]
}

func millis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

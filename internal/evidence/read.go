package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/store"
)

const itemColumns = `id, incident_id, name, content_type, description, collected_at, collected_by, source_system, method,
	size, sha256, sha1, md5, intake_seq, created_label, created_at`

func scanItem(sc store.Scanner) (Item, error) {
	var it Item
	var collected sql.NullInt64
	var created int64
	err := sc.Scan(&it.ID, &it.IncidentID, &it.Name, &it.ContentType, &it.Description, &collected, &it.CollectedBy,
		&it.SourceSystem, &it.Method, &it.Size, &it.SHA256, &it.SHA1, &it.MD5, &it.IntakeSeq, &it.CreatedBy, &created)
	if err != nil {
		return Item{}, err
	}
	if collected.Valid {
		t := time.UnixMilli(collected.Int64).UTC()
		it.CollectedAt = &t
	}
	it.CreatedAt = time.UnixMilli(created).UTC()
	it.Custody = []Custody{}
	return it, nil
}

// load reads an item, its custody and its incident, without an access check.
func (s *Service) load(ctx context.Context, evID string) (Item, Incident, error) {
	it, err := scanItem(s.db.R().QueryRowContext(ctx, `SELECT `+itemColumns+` FROM evidence WHERE id = $1`, evID))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, Incident{}, authz.ErrNotFound
	}
	if err != nil {
		return Item{}, Incident{}, err
	}
	inc, err := s.incident(ctx, it.IncidentID)
	if err != nil {
		return Item{}, Incident{}, err
	}
	c, err := s.custody(ctx, []string{it.ID})
	if err != nil {
		return Item{}, Incident{}, err
	}
	if c[it.ID] != nil {
		it.Custody = c[it.ID]
	}
	return it, inc, nil
}

// Get returns an item with its chain of custody. Evidence of an incident
// the caller may not see answers authz.ErrNotFound, like a missing item.
func (s *Service) Get(ctx context.Context, a authz.Actor, evID string) (Item, error) {
	it, inc, err := s.load(ctx, evID)
	if err != nil {
		return Item{}, err
	}
	if err := check(a, ActRead, inc.AgencyIDs); err != nil {
		return Item{}, err
	}
	return it, nil
}

// List returns the evidence of an incident, oldest first, with custody.
func (s *Service) List(ctx context.Context, a authz.Actor, incidentID string) ([]Item, error) {
	inc, err := s.incident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	if err := check(a, ActRead, inc.AgencyIDs); err != nil {
		return nil, err
	}
	return s.list(ctx, inc.ID)
}

func (s *Service) list(ctx context.Context, incidentID string) ([]Item, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+itemColumns+` FROM evidence WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []Item{}
	var ids []string
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		ids = append(ids, it.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c, err := s.custody(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if c[items[i].ID] != nil {
			items[i].Custody = c[items[i].ID]
		}
	}
	return items, nil
}

// Open returns the item's bytes for a caller with a recorded reason. The
// whole object is re-hashed before anything is handed out: stored bytes
// that are not what was taken in answer an error wrapping ErrIntegrity and
// write an evidence.integrity_failed audit entry. The read itself is an
// evidence.content_read audit entry. The returned reader checks again as it
// streams.
func (s *Service) Open(ctx context.Context, a authz.Actor, evID, reason string) (Item, io.ReadCloser, error) {
	it, inc, err := s.load(ctx, evID)
	if err != nil {
		return Item{}, nil, err
	}
	if err := check(a, ActRead, inc.AgencyIDs); err != nil {
		return Item{}, nil, err
	}
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	want := blob.Digest{SHA256: it.SHA256, Size: it.Size}
	if err := blob.Check(ctx, s.blobs, it.ID, want); err != nil {
		return Item{}, nil, s.failed(ctx, a, it, inc, err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ContentRead, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence", TargetID: it.ID, After: map[string]any{"sha256": it.SHA256, "reason": reason}})
		return err
	})
	if err != nil {
		return Item{}, nil, err
	}
	rc, err := s.blobs.Open(ctx, it.ID, want)
	if err != nil {
		return Item{}, nil, s.failed(ctx, a, it, inc, err)
	}
	return it, &checkedReader{rc: rc, fail: func(err error) error { return s.failed(context.WithoutCancel(ctx), a, it, inc, err) }}, nil
}

// failed records an integrity failure in the audit log and wraps it in
// ErrIntegrity; other errors pass through.
func (s *Service) failed(ctx context.Context, a authz.Actor, it Item, inc Incident, err error) error {
	var ie *blob.IntegrityError
	if !errors.As(err, &ie) && !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	reason := "the stored file is missing"
	if ie != nil {
		reason = ie.Reason
	}
	aerr := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: IntegrityFailed, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence", TargetID: it.ID, After: map[string]any{"sha256": it.SHA256, "reason": reason}})
		return err
	})
	if aerr != nil {
		return fmt.Errorf("%w: evidence %s: %s (and the audit entry failed: %v)", ErrIntegrity, it.ID, reason, aerr)
	}
	return fmt.Errorf("%w: evidence %s: %s: %w", ErrIntegrity, it.ID, reason, err)
}

// checkedReader records an integrity failure found while streaming.
type checkedReader struct {
	rc     io.ReadCloser
	fail   func(error) error
	failed bool
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if err != nil && err != io.EOF && blob.IsIntegrity(err) && !c.failed {
		c.failed = true
		err = c.fail(err)
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.rc.Close() }

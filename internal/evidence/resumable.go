package evidence

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Resumable uploads for large evidence (disk images, memory dumps), in the
// manner of tus: BeginUpload with the metadata (and, if known, the total
// length), then AppendUpload at the offset UploadOffset reports — after a
// dropped connection the client asks for the offset and goes on from there —
// and FinishUpload, which records the item exactly as Add does. Only the
// user who began an upload sees it; to anyone else it is missing.

// Upload is an upload in progress.
type Upload struct {
	ID         string `json:"id"`
	IncidentID string `json:"incident_id"`
	Name       string `json:"name"`
	Offset     int64  `json:"offset"`
	Length     *int64 `json:"length,omitempty"`
}

// ErrUploadOffset answers an append at another offset than the upload's
// (tus answers 409); the error says the right one.
var ErrUploadOffset = blob.ErrOffset

func (s *Service) resumable() (blob.Resumable, error) {
	r, ok := s.blobs.(blob.Resumable)
	if !ok {
		return nil, errors.New("evidence: this store does not take resumable uploads")
	}
	return r, nil
}

// BeginUpload opens a resumable upload of evidence for an incident. length
// is the total size when the client knows it (0 or less: unknown).
func (s *Service) BeginUpload(ctx context.Context, a authz.Actor, incidentID string, in Intake, length int64) (Upload, error) {
	rs, err := s.resumable()
	if err != nil {
		return Upload{}, err
	}
	inc, err := s.incident(ctx, incidentID)
	if err != nil {
		return Upload{}, err
	}
	if err := check(a, ActAdd, inc.AgencyIDs); err != nil {
		return Upload{}, err
	}
	if err := in.validate(); err != nil {
		return Upload{}, err
	}
	max := s.opts.MaxSize
	var lp *int64
	if length > 0 {
		if max > 0 && length > max {
			return Upload{}, validate.Errors{{Field: "length", Message: fmt.Sprintf("larger than the limit of %d bytes", max)}}
		}
		max, lp = length, &length
	}
	up := Upload{ID: id.New(), IncidentID: inc.ID, Name: in.Name, Length: lp}
	if err := rs.Begin(ctx, up.ID, blob.PutOptions{MaxSize: max}); err != nil {
		return Upload{}, err
	}
	meta, _ := json.Marshal(in)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: UploadStarted, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence_upload", TargetID: up.ID, After: map[string]any{"incident_id": inc.ID, "name": in.Name, "length": lp}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO evidence_uploads (id, incident_id, intake, length, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6)`, up.ID, inc.ID, string(meta), lp, a.UserID, s.now().UnixMilli())
		return err
	})
	if err != nil {
		rs.Abort(context.WithoutCancel(ctx), up.ID)
		return Upload{}, err
	}
	return up, nil
}

// upload loads an upload that a may use: only its creator, and only while
// they may still add evidence to the incident.
func (s *Service) upload(ctx context.Context, a authz.Actor, uploadID string) (Upload, Intake, Incident, error) {
	var up Upload
	var meta, createdBy string
	var length sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT id, incident_id, intake, length, created_by FROM evidence_uploads WHERE id = $1`, uploadID).
		Scan(&up.ID, &up.IncidentID, &meta, &length, &createdBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, Intake{}, Incident{}, authz.ErrNotFound
	}
	if err != nil {
		return Upload{}, Intake{}, Incident{}, err
	}
	if !a.Authenticated() {
		return Upload{}, Intake{}, Incident{}, authz.ErrUnauthenticated
	}
	if createdBy != a.UserID {
		return Upload{}, Intake{}, Incident{}, authz.ErrNotFound
	}
	inc, err := s.incident(ctx, up.IncidentID)
	if err != nil {
		return Upload{}, Intake{}, Incident{}, err
	}
	if err := check(a, ActAdd, inc.AgencyIDs); err != nil {
		return Upload{}, Intake{}, Incident{}, err
	}
	var in Intake
	if err := json.Unmarshal([]byte(meta), &in); err != nil {
		return Upload{}, Intake{}, Incident{}, fmt.Errorf("evidence: upload %s: %w", uploadID, err)
	}
	up.Name = in.Name
	if length.Valid {
		up.Length = &length.Int64
	}
	rs, err := s.resumable()
	if err != nil {
		return Upload{}, Intake{}, Incident{}, err
	}
	if up.Offset, err = rs.Offset(ctx, up.ID); err != nil {
		return Upload{}, Intake{}, Incident{}, err
	}
	return up, in, inc, nil
}

// UploadOffset reports how much of an upload has arrived.
func (s *Service) UploadOffset(ctx context.Context, a authz.Actor, uploadID string) (Upload, error) {
	up, _, _, err := s.upload(ctx, a, uploadID)
	return up, err
}

// AppendUpload adds r at offset (which must be the upload's offset) and
// returns the new offset; bytes that arrived before a failure are kept.
func (s *Service) AppendUpload(ctx context.Context, a authz.Actor, uploadID string, offset int64, r io.Reader) (int64, error) {
	up, _, _, err := s.upload(ctx, a, uploadID)
	if err != nil {
		return 0, err
	}
	rs, _ := s.resumable()
	n, err := rs.Append(ctx, up.ID, offset, r)
	if errors.Is(err, blob.ErrTooLarge) {
		return n, validate.Errors{{Field: "file", Message: "more bytes than the upload's length or the size limit"}}
	}
	return n, err
}

// FinishUpload turns a complete upload into an evidence item, recorded as
// Add records one.
func (s *Service) FinishUpload(ctx context.Context, a authz.Actor, uploadID string) (Item, error) {
	up, in, inc, err := s.upload(ctx, a, uploadID)
	if err != nil {
		return Item{}, err
	}
	if up.Length != nil && up.Offset != *up.Length {
		return Item{}, validate.Errors{{Field: "file", Message: fmt.Sprintf("%d of %d bytes received", up.Offset, *up.Length)}}
	}
	rs, _ := s.resumable()
	obj, err := rs.Finish(ctx, up.ID)
	if err != nil {
		return Item{}, err
	}
	return s.record(ctx, a, inc, in, obj, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM evidence_uploads WHERE id = $1`, up.ID)
		return err
	})
}

// AbortUpload drops an upload and what arrived of it.
func (s *Service) AbortUpload(ctx context.Context, a authz.Actor, uploadID string) error {
	up, _, inc, err := s.upload(ctx, a, uploadID)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: UploadAborted, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence_upload", TargetID: up.ID, After: map[string]any{"offset": up.Offset}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM evidence_uploads WHERE id = $1`, up.ID)
		return err
	})
	if err != nil {
		return err
	}
	rs, _ := s.resumable()
	return rs.Abort(ctx, up.ID)
}

package disclosure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Attachment limits: each file at most MaxAttachment bytes, at most
// MaxUploads per submission or message and MaxPerReport per report.
const (
	MaxAttachment = 10 << 20
	MaxUploads    = 5
	MaxPerReport  = 20
)

// AllowedTypes are the content types an attachment may have, decided by
// sniffing its bytes (never by its name or the client's word). Archives are
// kept as they are, never unpacked.
var AllowedTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
	"video/mp4", "video/webm", "application/zip", "application/x-gzip"}

// Upload is a file sent with a report or message.
type Upload struct {
	Filename string
	Data     []byte
}

// Attachment is a stored file's description.
type Attachment struct {
	ID          string    `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

type preparedFile struct {
	Attachment
	reportID string
	sealed   []byte
	by       string
}

// Sniff returns the allow-listed type of data, or "" when it is not
// allowed (HTML, SVG, scripts, executables and anything unknown).
func Sniff(data []byte) string {
	ct := http.DetectContentType(data)
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if !slices.Contains(AllowedTypes, mt) {
		return ""
	}
	return mt
}

// checkUploads validates uploads; existing is how many the report holds.
func checkUploads(ups []Upload, existing int) error {
	var v validate.Errors
	if len(ups) > MaxUploads {
		v.Add("attachments", "at most %d files at a time", MaxUploads)
	}
	if existing+len(ups) > MaxPerReport {
		v.Add("attachments", "a report holds at most %d files", MaxPerReport)
	}
	for _, u := range ups {
		name := SafeFilename(u.Filename)
		switch {
		case len(u.Data) == 0:
			v.Add("attachments", "%s is empty", name)
		case len(u.Data) > MaxAttachment:
			v.Add("attachments", "%s is larger than %d MiB", name, MaxAttachment>>20)
		case Sniff(u.Data) == "":
			v.Add("attachments", "%s is not an allowed type (images, PDF, plain text, MP4/WebM video, zip or gzip)", name)
		}
	}
	return v.Err()
}

// SafeFilename keeps a name's letters, digits, dots, hyphens and
// underscores (at most 100), for the download's Content-Disposition.
func SafeFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 100 {
			break
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" || out == "_" {
		out = "attachment"
	}
	return out
}

func prepareUploads(ups []Upload, sealer *keys.Sealer, reportID string, a authz.Actor) ([]preparedFile, error) {
	out := make([]preparedFile, 0, len(ups))
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, u := range ups {
		f := preparedFile{Attachment: Attachment{ID: id.Random(), Filename: SafeFilename(u.Filename), ContentType: Sniff(u.Data),
			Size: int64(len(u.Data)), SHA256: sha256Hex(u.Data), CreatedAt: now}, reportID: reportID, by: a.AuditActor().ID}
		if f.ContentType == "" {
			return nil, validate.Errors{{Field: "attachments", Message: f.Filename + " is not an allowed type"}}
		}
		f.sealed = sealer.Seal(u.Data, []byte(f.ID))
		out = append(out, f)
	}
	return out, nil
}

func insertAttachment(ctx context.Context, tx *sql.Tx, f preparedFile) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_attachments (id, report_id, filename, content_type, size, sha256, sealed, uploaded_by, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, f.ID, f.reportID, f.Filename, f.ContentType, f.Size, f.SHA256, f.sealed, f.by, f.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert attachment: %w", err)
	}
	return nil
}

func attachmentsOf(fs []preparedFile) []Attachment {
	out := make([]Attachment, len(fs))
	for i, f := range fs {
		out[i] = f.Attachment
	}
	return out
}

func (s *Service) attachments(ctx context.Context, reportID string) ([]Attachment, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, filename, content_type, size, sha256, created_at FROM report_attachments
		WHERE report_id = $1 ORDER BY created_at, id`, reportID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var at Attachment
		var created int64
		if err := rows.Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &created); err != nil {
			return nil, err
		}
		at.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, at)
	}
	return out, rows.Err()
}

func (s *Service) openAttachment(ctx context.Context, reportID, attachmentID string) (Attachment, []byte, error) {
	var at Attachment
	var created int64
	var sealed []byte
	err := s.db.R().QueryRowContext(ctx, `SELECT id, filename, content_type, size, sha256, created_at, sealed FROM report_attachments
		WHERE id = $1 AND report_id = $2`, attachmentID, reportID).Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &created, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, nil, authz.ErrNotFound
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	at.CreatedAt = time.UnixMilli(created).UTC()
	data, err := s.files.Open(sealed, []byte(at.ID))
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("attachment %s: %w", at.ID, err)
	}
	return at, data, nil
}

// Attachment returns an attachment of a report the caller may see.
func (s *Service) Attachment(ctx context.Context, a authz.Actor, reportID, attachmentID string) (Attachment, []byte, error) {
	if _, err := s.Report(ctx, a, reportID); err != nil {
		return Attachment{}, nil, err
	}
	return s.openAttachment(ctx, reportID, attachmentID)
}

// AddAttachments stores files on a report the caller may comment on.
func (s *Service) AddAttachments(ctx context.Context, a authz.Actor, reportID string, ups []Upload) ([]Attachment, error) {
	if err := authz.Check(a, authz.ReportComment, authz.Collection()); err != nil { // no grant: refused before any lookup
		return nil, err
	}
	r, err := s.load(ctx, s.db.R(), reportID, false)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReportComment, reportResource(&r)); err != nil {
		return nil, err
	}
	m, err := s.addMessage(ctx, r, a, "", false, ups)
	return m.Attachments, err
}

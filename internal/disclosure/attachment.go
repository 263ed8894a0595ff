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
// MaxUploads per submission or message, and at most MaxPerReport from the
// reporter on one report (staff files do not count, and have no such limit).
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
	MessageID   string    `json:"message_id,omitempty"` // the message it came with; none: the report itself
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

// checkUploads validates uploads; existing is how many the reporter has
// put on the report, or -1 for staff, whose files the reporter's limit does
// not cover.
func checkUploads(ups []Upload, existing int) error {
	var v validate.Errors
	if len(ups) > MaxUploads {
		v.Add("attachments", "at most %d files at a time", MaxUploads)
	}
	if existing >= 0 && existing+len(ups) > MaxPerReport {
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

// prepareUploads seals uploads for the report, and for the message
// messageID when they come with one.
func prepareUploads(ups []Upload, sealer *keys.Sealer, reportID, messageID string, a authz.Actor) ([]preparedFile, error) {
	out := make([]preparedFile, 0, len(ups))
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, u := range ups {
		f := preparedFile{Attachment: Attachment{ID: id.Random(), Filename: SafeFilename(u.Filename), ContentType: Sniff(u.Data),
			Size: int64(len(u.Data)), SHA256: sha256Hex(u.Data), MessageID: messageID, CreatedAt: now}, reportID: reportID, by: a.AuditActor().ID}
		if f.ContentType == "" {
			return nil, validate.Errors{{Field: "attachments", Message: f.Filename + " is not an allowed type"}}
		}
		f.sealed = sealer.Seal(u.Data, []byte(f.ID))
		out = append(out, f)
	}
	return out, nil
}

func insertAttachment(ctx context.Context, tx *sql.Tx, f preparedFile) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_attachments (id, report_id, message_id, filename, content_type, size, sha256, sealed, uploaded_by, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, f.ID, f.reportID, nullable(f.MessageID), f.Filename, f.ContentType, f.Size, f.SHA256, f.sealed, f.by, f.CreatedAt.UnixMilli())
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

// visibleAttachment is the condition an attachment a (joined to its
// message m) must meet for a viewer who is not staff: it came with the
// report, or with a message that is not an internal note.
const visibleAttachment = ` AND (m.kind IS NULL OR m.kind <> 'note')`

const attachmentFrom = ` FROM report_attachments a LEFT JOIN report_messages m ON m.id = a.message_id`

// attachments lists a report's attachments as the viewer may see them:
// staff all, the reporter none of an internal note's.
func (s *Service) attachments(ctx context.Context, reportID string, staffView bool) ([]Attachment, error) {
	q := `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, COALESCE(a.message_id, ''), a.created_at` + attachmentFrom + ` WHERE a.report_id = $1`
	if !staffView {
		q += visibleAttachment
	}
	rows, err := s.db.R().QueryContext(ctx, q+` ORDER BY a.created_at, a.id`, reportID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var at Attachment
		var created int64
		if err := rows.Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &at.MessageID, &created); err != nil {
			return nil, err
		}
		at.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, at)
	}
	return out, rows.Err()
}

// openAttachment is kubu's one attachment server: it returns a file of a
// report to a viewer who may see the report, when the viewer may also see
// the message it came with (an internal note's files are staff's only; to
// anyone else they answer ErrNotFound, like a missing file). Attachment
// (signed-in callers) and PublicAttachment (a reporter's token) differ only
// in how they find the report and the viewer.
func (s *Service) openAttachment(ctx context.Context, reportID, attachmentID string, staffView bool) (Attachment, []byte, error) {
	var at Attachment
	var created int64
	var sealed []byte
	q := `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, COALESCE(a.message_id, ''), a.created_at, a.sealed` + attachmentFrom +
		` WHERE a.id = $1 AND a.report_id = $2`
	if !staffView {
		q += visibleAttachment
	}
	err := s.db.R().QueryRowContext(ctx, q, attachmentID, reportID).Scan(&at.ID, &at.Filename, &at.ContentType, &at.Size, &at.SHA256, &at.MessageID, &created, &sealed)
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

// Attachment returns an attachment of a report the caller may see, if the
// caller may see the message it came with.
func (s *Service) Attachment(ctx context.Context, a authz.Actor, reportID, attachmentID string) (Attachment, []byte, error) {
	r, err := s.Report(ctx, a, reportID)
	if err != nil {
		return Attachment{}, nil, err
	}
	return s.openAttachment(ctx, r.ID, attachmentID, staffView(a, &r))
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

package disclosure

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Message kinds: a message both sides see, an internal note only staff
// see, and an event (a status or severity change with its reason) both
// sides see.
const (
	KindMessage = "message"
	KindNote    = "note"
	KindEvent   = "event"
)

// Message is one entry of a report's thread.
type Message struct {
	ID          string       `json:"id"`
	Kind        string       `json:"kind"`
	Author      string       `json:"author"`
	FromStaff   bool         `json:"from_staff"`
	Body        string       `json:"body"`
	CreatedAt   time.Time    `json:"created_at"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Messages returns a report's thread as the caller may see it: staff see
// internal notes, the reporter never does.
func (s *Service) Messages(ctx context.Context, a authz.Actor, reportID string) ([]Message, error) {
	r, err := s.Report(ctx, a, reportID)
	if err != nil {
		return nil, err
	}
	return s.messages(ctx, r.ID, staffView(a, &r))
}

func (s *Service) messages(ctx context.Context, reportID string, staffView bool) ([]Message, error) {
	q := `SELECT m.id, m.kind, m.author_id, m.author_label, m.body, m.created_at, COALESCE(rs.handle, '') FROM report_messages m
		JOIN reports r ON r.id = m.report_id LEFT JOIN researchers rs ON rs.user_id = m.author_id WHERE m.report_id = $1`
	if !staffView {
		q += ` AND m.kind <> 'note'`
	}
	rows, err := s.db.R().QueryContext(ctx, q+` ORDER BY m.created_at, m.id`, reportID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var author, label, handle string
		var created int64
		if err := rows.Scan(&m.ID, &m.Kind, &author, &label, &m.Body, &created, &handle); err != nil {
			return nil, err
		}
		m.CreatedAt = time.UnixMilli(created).UTC()
		reporter := author == "anonymous" || handle != ""
		m.FromStaff = !reporter && author != "system"
		switch {
		case handle != "":
			m.Author = handle
		case author == "anonymous":
			m.Author = "Reporter"
		case author == "system":
			m.Author = "kubu"
		case staffView:
			m.Author = label
		default:
			m.Author = "Triage team" // staff names are not shown to reporters
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Each message carries the files it came with (those of notes only for
	// staff, as the notes themselves).
	atts, err := s.attachments(ctx, reportID, staffView)
	if err != nil {
		return nil, err
	}
	byMessage := map[string][]Attachment{}
	for _, at := range atts {
		if at.MessageID != "" {
			byMessage[at.MessageID] = append(byMessage[at.MessageID], at)
		}
	}
	for i := range out {
		out[i].Attachments = byMessage[out[i].ID]
	}
	return out, nil
}

// AddMessage adds a message (or, for staff, an internal note when
// internal is set) with optional attachments.
func (s *Service) AddMessage(ctx context.Context, a authz.Actor, reportID, body string, internal bool, ups []Upload) (Message, error) {
	if err := authz.Check(a, authz.ReportComment, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Message{}, err
	}
	r, err := s.load(ctx, s.db.R(), reportID, false)
	if err != nil {
		return Message{}, err
	}
	if err := authz.Check(a, authz.ReportComment, reportResource(&r)); err != nil {
		return Message{}, err
	}
	if internal && !staffView(a, &r) {
		return Message{}, authz.ErrForbidden
	}
	return s.addMessage(ctx, r, a, body, internal, ups)
}

func (s *Service) addMessage(ctx context.Context, r Report, a authz.Actor, body string, internal bool, ups []Upload) (Message, error) {
	var v validate.Errors
	if strings.TrimSpace(body) == "" && len(ups) == 0 {
		v.Add("body", "is required")
	}
	v.MaxLen("body", body, MaxBody)
	// The reporter's files count against their limit; staff's do not.
	existing := -1
	if !staffView(a, &r) {
		if err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM report_attachments WHERE report_id = $1 AND uploaded_by = $2`,
			r.ID, a.AuditActor().ID).Scan(&existing); err != nil {
			return Message{}, err
		}
	}
	if err := checkUploads(ups, existing); err != nil {
		fe, _ := validate.As(err)
		v = append(v, fe...)
	}
	if err := v.Err(); err != nil {
		return Message{}, err
	}
	if r.Status == "closed" || r.Status == "spam" {
		if !staffView(a, &r) {
			return Message{}, validate.Errors{{Field: "body", Message: "this report is closed"}}
		}
	}
	msgID := id.New()
	files, err := prepareUploads(ups, s.files, r.ID, msgID, a)
	if err != nil {
		return Message{}, err
	}
	kind := KindMessage
	if internal {
		kind = KindNote
	}
	now := s.stamp()
	m := Message{ID: msgID, Kind: kind, Body: body, CreatedAt: now, FromStaff: staffView(a, &r), Attachments: attachmentsOf(files)}
	actor := a.AuditActor()
	if len(files) > 0 {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.Filename
		}
		if m.Body != "" {
			m.Body += "\n\n"
		}
		m.Body += "Attached: " + strings.Join(names, ", ")
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_messages (id, report_id, author_id, author_label, kind, body, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, m.ID, r.ID, actor.ID, actor.Label, m.Kind, m.Body, now.UnixMilli()); err != nil {
			return err
		}
		for _, f := range files {
			if err := insertAttachment(ctx, tx, f); err != nil {
				return err
			}
		}
		if staffView(a, &r) && !internal {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET first_response_at = COALESCE(first_response_at, $1), updated_at = $1 WHERE id = $2`,
				now.UnixMilli(), r.ID); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE reports SET updated_at = $1 WHERE id = $2`, now.UnixMilli(), r.ID); err != nil {
			return err
		}
		hashes := make([]string, len(files))
		for i, f := range files {
			hashes[i] = f.SHA256
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ReportMessageAdded, Actor: actor, AgencyID: r.AgencyID,
			TargetType: "report", TargetID: r.ID, After: map[string]any{"message_id": m.ID, "kind": m.Kind,
				"body_sha256": sha256Hex([]byte(m.Body)), "attachments": hashes}})
		return err
	})
	if err != nil {
		return Message{}, err
	}
	if staffView(a, &r) && !internal {
		s.tellReporter(ctx, r, "New message on report "+r.ID, "There is a new message from the triage team on your report \""+oneLine(r.Title)+"\".")
	}
	m.Author = actor.Label
	return m, nil
}

// event records a status or severity change in the thread (inside tx).
func (s *Service) event(ctx context.Context, tx *sql.Tx, r Report, a authz.Actor, body string) error {
	actor := a.AuditActor()
	_, err := tx.ExecContext(ctx, `INSERT INTO report_messages (id, report_id, author_id, author_label, kind, body, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, id.New(), r.ID, actor.ID, actor.Label, KindEvent, body, s.stamp().UnixMilli())
	return err
}

// tellReporter emails the reporter (the anonymous reporter's optional
// address, or the researcher's account) a short notice with a link, never
// the report's content.
func (s *Service) tellReporter(ctx context.Context, r Report, subject, text string) {
	to := r.ReporterEmail
	link := s.link("/vdp/track")
	if r.ResearcherID != "" {
		var email string
		if err := s.db.R().QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, r.ResearcherID).Scan(&email); err != nil {
			return
		}
		to = email
		link = s.link("/reports/" + r.ID)
		s.notify(ctx, []string{r.ResearcherID}, r.ID, subject)
	}
	if to == "" {
		return
	}
	s.sendMail(mail.Message{To: []string{to}, Subject: subject, Body: text + "\n\nTracking id: " + r.ID + "\nSee it at " + link + "\n"})
}

func (s *Service) sendMail(m mail.Message) {
	if err := s.mail.Send(context.Background(), m); err != nil {
		s.log.Warn("disclosure mail", "err", err, "subject", m.Subject)
	}
}

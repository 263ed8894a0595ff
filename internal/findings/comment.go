package findings

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Comment is a note on a finding (Markdown, rendered sanitised).
type Comment struct {
	ID        string    `json:"id"`
	FindingID string    `json:"finding_id"`
	AuthorID  string    `json:"author_id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// AddComment adds a comment to a finding the caller may comment on.
func (s *Service) AddComment(ctx context.Context, a authz.Actor, findingID, body string) (Comment, error) {
	body = strings.TrimSpace(body)
	var v validate.Errors
	v.Required("body", body, 20000)
	if err := v.Err(); err != nil {
		return Comment{}, err
	}
	c := Comment{ID: id.New(), FindingID: findingID, AuthorID: a.UserID, Author: a.Email, Body: body,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.lockVisible(ctx, tx, a, findingID, authz.FindingComment)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finding_comments (id, finding_id, author_id, body, created_at) VALUES ($1,$2,$3,$4,$5)`,
			c.ID, c.FindingID, c.AuthorID, c.Body, c.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.FindingCommented, Actor: a.AuditActor(), AgencyID: f.AgencyID,
			TargetType: "finding", TargetID: f.ID, After: map[string]any{"comment_id": c.ID, "body_sha256": sha256Hex(c.Body)}})
		return err
	})
	if err != nil {
		return Comment{}, err
	}
	return c, nil
}

// Comments lists a finding's comments, oldest first.
func (s *Service) Comments(ctx context.Context, a authz.Actor, findingID string) ([]Comment, error) {
	if _, err := s.Get(ctx, a, findingID); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT c.id, c.finding_id, c.author_id, COALESCE(u.email, c.author_id), c.body, c.created_at
		FROM finding_comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.finding_id = $1 ORDER BY c.id`, findingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		var at int64
		if err := rows.Scan(&c.ID, &c.FindingID, &c.AuthorID, &c.Author, &c.Body, &at); err != nil {
			return nil, err
		}
		c.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

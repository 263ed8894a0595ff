package disclosure

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
)

// hashToken is how follow-up tokens are stored: they carry 160 random
// bits, so a fast hash is enough.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte("kubu/vdp-token\x00" + tok))
	return hex.EncodeToString(h[:])
}

// dummyTokenHash is compared against when a tracking id is unknown, so an
// unknown id and a wrong token take the same path.
var dummyTokenHash = hashToken("no such report")

// byToken loads the report with tracking id reportID when token is its
// follow-up token. A wrong or empty token, an unknown id and a report made
// by a registered researcher (who has no token) all answer ErrNotFound.
func (s *Service) byToken(ctx context.Context, reportID, token string) (Report, error) {
	r, err := s.load(ctx, s.db.R(), reportID, false)
	stored := r.tokenHash
	if err != nil || stored == "" {
		stored = dummyTokenHash
	}
	ok := subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(stored)) == 1
	if err != nil && err != authz.ErrNotFound {
		return Report{}, err
	}
	if !ok || token == "" || err != nil || r.tokenHash == "" {
		return Report{}, authz.ErrNotFound
	}
	return r, nil
}

// PublicReport is what an anonymous reporter sees of their report.
func (s *Service) PublicReport(ctx context.Context, reportID, token string) (Report, error) {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return Report{}, err
	}
	return s.finish(ctx, r, false)
}

// RotateToken replaces a report's follow-up token; the old one stops
// working at once. It returns the new token.
func (s *Service) RotateToken(ctx context.Context, reportID, token string) (string, error) {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return "", err
	}
	next := newToken()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET token_hash = $1, updated_at = $2 WHERE id = $3 AND token_hash = $4`,
			hashToken(next), s.stamp().UnixMilli(), r.ID, r.tokenHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return authz.ErrNotFound // rotated meanwhile by someone holding the old token
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportTokenRotated, Actor: authz.Anonymous.AuditActor(),
			AgencyID: r.AgencyID, TargetType: "report", TargetID: r.ID})
		return err
	})
	if err != nil {
		return "", err
	}
	return next, nil
}

// PublicMessages lists the thread an anonymous reporter may see.
func (s *Service) PublicMessages(ctx context.Context, reportID, token string) ([]Message, error) {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return nil, err
	}
	return s.messages(ctx, r.ID, false)
}

// PublicReply adds the anonymous reporter's message (and attachments).
func (s *Service) PublicReply(ctx context.Context, reportID, token, body string, uploads []Upload) (Message, error) {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return Message{}, err
	}
	return s.addMessage(ctx, r, authz.Anonymous, body, false, uploads)
}

// PublicAttachment returns an attachment of the report to its anonymous
// reporter.
func (s *Service) PublicAttachment(ctx context.Context, reportID, token, attachmentID string) (Attachment, []byte, error) {
	r, err := s.byToken(ctx, reportID, token)
	if err != nil {
		return Attachment{}, nil, err
	}
	return s.openAttachment(ctx, r.ID, attachmentID, false)
}

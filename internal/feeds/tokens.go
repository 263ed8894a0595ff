package feeds

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TokenPrefix starts every feed token, so secret scanners can tell them
// apart ("kubu_").
const TokenPrefix = "kubu_feed_"

// ErrBadToken is a feed token that is unknown or revoked.
var ErrBadToken = errors.New("invalid feed token")

// Token is a feed token's record (never its secret).
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// CreateToken makes a feed token and returns its secret, shown once.
func (s *Service) CreateToken(ctx context.Context, a authz.Actor, name string) (string, Token, error) {
	if err := authz.Check(a, authz.FeedManage, authz.Collection()); err != nil {
		return "", Token{}, err
	}
	name = strings.TrimSpace(name)
	var v validate.Errors
	v.Required("name", name, 100)
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	t := Token{ID: id.New(), Name: name, CreatedBy: a.UserID, CreatedAt: now}
	secret := accounts.NewSecret(TokenPrefix)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_tokens (id, name, token_hash, created_by, created_at) VALUES ($1,$2,$3,$4,$5)`,
			t.ID, t.Name, accounts.HashToken(secret), t.CreatedBy, now.UnixMilli()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: TokenCreated, Actor: a.AuditActor(), TargetType: "feed_token", TargetID: t.ID, After: t})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

const tokenCols = `id, name, created_by, created_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var created int64
	var used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Name, &t.CreatedBy, &created, &used, &revoked); errors.Is(err, sql.ErrNoRows) {
		return Token{}, authz.ErrNotFound
	} else if err != nil {
		return Token{}, err
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	if used.Valid {
		u := time.UnixMilli(used.Int64).UTC()
		t.LastUsedAt = &u
	}
	if revoked.Valid {
		r := time.UnixMilli(revoked.Int64).UTC()
		t.RevokedAt = &r
	}
	return t, nil
}

// Tokens lists the feed tokens, newest first.
func (s *Service) Tokens(ctx context.Context, a authz.Actor) ([]Token, error) {
	if err := authz.Check(a, authz.FeedRead, authz.Collection()); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+tokenCols+` FROM feed_tokens ORDER BY id DESC LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a feed token working at once.
func (s *Service) RevokeToken(ctx context.Context, a authz.Actor, tokenID string) error {
	if err := authz.Check(a, authz.FeedManage, authz.Collection()); err != nil {
		return err
	}
	t, err := scanToken(s.db.R().QueryRowContext(ctx, `SELECT `+tokenCols+` FROM feed_tokens WHERE id = $1`, tokenID))
	if err != nil || t.RevokedAt != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE feed_tokens SET revoked_at = $1 WHERE id = $2`, s.now().UnixMilli(), t.ID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: TokenRevoked, Actor: a.AuditActor(), TargetType: "feed_token", TargetID: t.ID, Before: t})
		return err
	})
}

// Authenticate checks a feed token's secret. Its last use is recorded at
// most once a minute.
func (s *Service) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, ErrBadToken
	}
	t, err := scanToken(s.db.R().QueryRowContext(ctx, `SELECT `+tokenCols+` FROM feed_tokens WHERE token_hash = $1`, accounts.HashToken(secret)))
	if errors.Is(err, authz.ErrNotFound) || err == nil && t.RevokedAt != nil {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, err
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE feed_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), t.ID)
			return err
		})
	}
	return t, nil
}

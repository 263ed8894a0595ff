package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Token is an API token's record (never its secret).
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// TokenPrefix starts every API token so secret scanners can spot leaks.
const TokenPrefix = "kubu_"

// MaxTokenTTL is the longest an API token may live.
const MaxTokenTTL = 366 * 24 * time.Hour

// HashToken is how tokens are stored and looked up. Tokens carry 160
// random bits, so a fast hash is enough (no dictionary to attack).
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// NewSecret returns prefix followed by 160 random bits in base32.
func NewSecret(prefix string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// CreateToken makes an API token for userID and returns its secret, shown
// once. Users make their own; admins may make them for accounts they manage.
// ttl 0 means the longest allowed.
func (s *Service) CreateToken(ctx context.Context, a authz.Actor, userID, name string, ttl time.Duration) (string, Token, error) {
	if userID != a.UserID {
		if err := authz.Check(a, authz.UserManage, authz.Collection()); err != nil { // no grant: refused before any lookup
			return "", Token{}, err
		}
	}
	u, err := s.ActiveUser(ctx, userID)
	if err != nil {
		return "", Token{}, err
	}
	if u.ID != a.UserID {
		if err := authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)); err != nil {
			return "", Token{}, err
		}
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "token"
	}
	var v validate.Errors
	v.MaxLen("name", name, 100)
	if ttl < 0 || ttl > MaxTokenTTL {
		v.Add("ttl", "must be at most 366 days")
	}
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	if ttl == 0 {
		ttl = MaxTokenTTL
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	exp := now.Add(ttl)
	t := Token{ID: id.New(), UserID: u.ID, Name: name, CreatedAt: now, ExpiresAt: &exp}
	secret := NewSecret(TokenPrefix)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			t.ID, t.UserID, t.Name, HashToken(secret), now.UnixMilli(), exp.UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.TokenCreated, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "api_token", TargetID: t.ID, After: t})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// Tokens lists a user's tokens.
func (s *Service) Tokens(ctx context.Context, a authz.Actor, userID string) ([]Token, error) {
	if _, err := s.User(ctx, a, userID); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
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

func scanToken(sc scanner) (Token, error) {
	var t Token
	var created int64
	var exp, used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &created, &exp, &used, &revoked); errors.Is(err, sql.ErrNoRows) {
		return Token{}, authz.ErrNotFound
	} else if err != nil {
		return Token{}, err
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	ptr := func(n sql.NullInt64) *time.Time {
		if !n.Valid {
			return nil
		}
		x := time.UnixMilli(n.Int64).UTC()
		return &x
	}
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = ptr(exp), ptr(used), ptr(revoked)
	return t, nil
}

// RevokeToken stops a token working.
func (s *Service) RevokeToken(ctx context.Context, a authz.Actor, tokenID string) error {
	t, err := scanToken(s.db.R().QueryRowContext(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1`, tokenID))
	if err != nil {
		return err
	}
	u, err := s.User(ctx, a, t.UserID)
	if err != nil {
		return err
	}
	if u.ID != a.UserID {
		if err := authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)); err != nil {
			return err
		}
	}
	if t.RevokedAt != nil {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, now, tokenID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.TokenRevoked, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "api_token", TargetID: tokenID, Before: t})
		return err
	})
}

// ErrBadToken means a bearer token is unknown, expired, revoked, or its
// account disabled.
var ErrBadToken = errors.New("invalid or expired token")

// Authenticate resolves a bearer token to its user.
func (s *Service) Authenticate(ctx context.Context, secret string) (User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return User{}, ErrBadToken
	}
	var tokID string
	var exp, revoked, used sql.NullInt64
	var hash string
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+`, t.id, t.expires_at, t.revoked_at, t.last_used_at, t.token_hash`+userFrom+
		` JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = $1`, HashToken(secret)), &tokID, &exp, &revoked, &used, &hash)
	if err != nil {
		if errors.Is(err, authz.ErrNotFound) {
			return User{}, ErrBadToken
		}
		return User{}, err
	}
	now := s.now()
	if u.Disabled || revoked.Valid || (exp.Valid && exp.Int64 <= now.UnixMilli()) {
		return User{}, ErrBadToken
	}
	// Record use at most once a minute per token, not on every request.
	if !used.Valid || now.UnixMilli()-used.Int64 > 60_000 {
		s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), tokID)
			return err
		})
	}
	return u, nil
}

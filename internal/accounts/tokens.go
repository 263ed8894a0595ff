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
	"github.com/kubu-gov/kubu/internal/store"
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
	// ParentID is the token that made this one (through the API); a
	// derived token never outlives its parent and ends with it.
	ParentID string `json:"parent_id,omitempty"`
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
// once. It is for a signed-in session or the command line: users make
// their own; admins may make them for accounts they manage. A token made
// with another token is made by DeriveToken. ttl 0 means the longest
// allowed.
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
	name, err = tokenRequest(name, ttl)
	if err != nil {
		return "", Token{}, err
	}
	if ttl == 0 {
		ttl = MaxTokenTTL
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	exp := now.Add(ttl)
	t := Token{ID: id.New(), UserID: u.ID, Name: name, CreatedAt: now, ExpiresAt: &exp}
	secret := NewSecret(TokenPrefix)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.insertTokenTx(ctx, tx, a.AuditActor(), u, t, secret) })
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// tokenRequest checks a new token's name and lifetime: the name trimmed
// ("token" when empty, at most 100 characters), the lifetime at most
// MaxTokenTTL (0: the longest allowed).
func tokenRequest(name string, ttl time.Duration) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "token"
	}
	var v validate.Errors
	v.MaxLen("name", name, 100)
	if ttl < 0 || ttl > MaxTokenTTL {
		v.Add("ttl", "must be at most 366 days")
	}
	return name, v.Err()
}

func (s *Service) insertTokenTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, u User, t Token, secret string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, parent_id) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		t.ID, t.UserID, t.Name, HashToken(secret), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli(), nullable(t.ParentID))
	if err != nil {
		return err
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.TokenCreated, Actor: actor, AgencyID: u.AgencyID,
		TargetType: "api_token", TargetID: t.ID, After: t})
	return err
}

// DeriveToken makes an API token with the API token parentSecret (the
// API's POST /api/v1/tokens). The new token belongs to the parent's user,
// so it carries no more rights than the parent; it expires when the parent
// does at the latest (ttl 0 means exactly then); and revoking the parent
// revokes it (see RevokeToken). The parent is checked again in the
// transaction that records the child, so a child cannot slip past a
// revocation made at the same moment.
func (s *Service) DeriveToken(ctx context.Context, parentSecret, name string, ttl time.Duration) (string, Token, error) {
	u, err := s.Authenticate(ctx, parentSecret)
	if err != nil {
		return "", Token{}, err
	}
	name, err = tokenRequest(name, ttl)
	if err != nil {
		return "", Token{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	t := Token{ID: id.New(), UserID: u.ID, Name: name, CreatedAt: now}
	secret := NewSecret(TokenPrefix)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var parentID string
		var exp, revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT id, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1`+s.db.Dialect.ForUpdate,
			HashToken(parentSecret)).Scan(&parentID, &exp, &revoked)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (revoked.Valid || exp.Valid && exp.Int64 <= now.UnixMilli()) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		until := now.Add(MaxTokenTTL)
		if ttl > 0 {
			until = now.Add(ttl)
		}
		if exp.Valid && until.UnixMilli() > exp.Int64 {
			until = time.UnixMilli(exp.Int64).UTC()
		}
		t.ExpiresAt, t.ParentID = &until, parentID
		return s.insertTokenTx(ctx, tx, u.Actor().AuditActor(), u, t, secret)
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
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
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

const tokenCols = `id, user_id, name, created_at, expires_at, last_used_at, revoked_at, COALESCE(parent_id, '')`

func scanToken(sc store.Scanner) (Token, error) {
	var t Token
	var created int64
	var exp, used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.Name, &created, &exp, &used, &revoked, &t.ParentID); errors.Is(err, sql.ErrNoRows) {
		return Token{}, authz.ErrNotFound
	} else if err != nil {
		return Token{}, err
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = msPtr(exp), msPtr(used), msPtr(revoked)
	return t, nil
}

// RevokeToken stops a token working, and every token derived from it
// (each audited).
func (s *Service) RevokeToken(ctx context.Context, a authz.Actor, tokenID string) error {
	t, err := scanToken(s.db.R().QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = $1`, tokenID))
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
		return s.revokeTx(ctx, tx, a.AuditActor(), u, []string{tokenID}, "revoked")
	})
}

// revokeTx revokes the tokens ids of u that are not yet revoked, then
// their descendants, level by level, auditing each.
func (s *Service) revokeTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, u User, ids []string, reason string) error {
	now := s.now().UnixMilli()
	for len(ids) > 0 {
		var next []string
		for _, tokenID := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, tokenID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.TokenRevoked, Actor: actor, AgencyID: u.AgencyID,
					TargetType: "api_token", TargetID: tokenID, After: map[string]string{"reason": reason}}); err != nil {
					return err
				}
			}
			children, err := tx.QueryContext(ctx, `SELECT id FROM api_tokens WHERE parent_id = $1 AND revoked_at IS NULL`, tokenID)
			if err != nil {
				return err
			}
			for children.Next() {
				var c string
				if err := children.Scan(&c); err != nil {
					children.Close()
					return err
				}
				next = append(next, c)
			}
			children.Close()
			if err := children.Err(); err != nil {
				return err
			}
		}
		ids, reason = next, "parent revoked"
	}
	return nil
}

// revokeAllTx revokes every API token of u.
func (s *Service) revokeAllTx(ctx context.Context, tx *sql.Tx, actor audit.Actor, u User, reason string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, u.ID)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return s.revokeTx(ctx, tx, actor, u, ids, reason)
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

package intake

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TokenPrefix starts every intake token, so secret scanners can tell them
// from API tokens ("kubu_").
const TokenPrefix = "kubu_in_"

// tokenCacheTTL is how long a looked-up token is trusted before the
// database is asked again: a revocation takes effect within it.
const tokenCacheTTL = 5 * time.Second

// Token is an intake token's record (never its secret).
type Token struct {
	ID         string     `json:"id"`
	AgencyID   string     `json:"agency_id"`
	Agency     string     `json:"agency"`
	Name       string     `json:"name"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// identity is what a valid intake token stands for.
type identity struct {
	TokenID  string
	AgencyID string
	Agency   string // code
}

// CreateToken makes an intake token for the agency with code agency and
// returns its secret, shown once.
func (s *Service) CreateToken(ctx context.Context, a authz.Actor, agency, name string) (string, Token, error) {
	ag, err := s.reg.AgencyByCode(ctx, a, agency)
	if err != nil {
		return "", Token{}, err
	}
	if err := authz.Check(a, authz.IntakeManage, authz.Record(ag.ID)); err != nil {
		return "", Token{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "shipper"
	}
	var v validate.Errors
	v.MaxLen("name", name, 100)
	if err := v.Err(); err != nil {
		return "", Token{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	t := Token{ID: id.New(), AgencyID: ag.ID, Agency: ag.Code, Name: name, CreatedBy: a.UserID, CreatedAt: now}
	secret := accounts.NewSecret(TokenPrefix)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO intake_tokens (id, agency_id, name, token_hash, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			t.ID, t.AgencyID, t.Name, accounts.HashToken(secret), t.CreatedBy, now.UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: IntakeTokenCreated, Actor: a.AuditActor(), AgencyID: ag.ID,
			TargetType: "intake_token", TargetID: t.ID, After: t})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

const tokenCols = `t.id, t.agency_id, a.code, t.name, t.created_by, t.created_at, t.last_used_at, t.revoked_at`

// Tokens lists the intake tokens the caller may manage, newest first.
func (s *Service) Tokens(ctx context.Context, a authz.Actor) ([]Token, error) {
	sc, err := authz.ScopeFor(a, authz.IntakeManage)
	if err != nil {
		return nil, err
	}
	var wh store.Where
	sc.Where(&wh, "t.agency_id", "")
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+tokenCols+` FROM intake_tokens t JOIN agencies a ON a.id = t.agency_id`+wh.SQL()+
		` ORDER BY t.id DESC LIMIT 1000`, wh.Args()...)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, scanToken)
}

// RevokeToken stops an intake token working (within tokenCacheTTL on
// every node).
func (s *Service) RevokeToken(ctx context.Context, a authz.Actor, tokenID string) error {
	if err := authz.Check(a, authz.IntakeManage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return err
	}
	t, err := scanToken(s.db.R().QueryRowContext(ctx, `SELECT `+tokenCols+` FROM intake_tokens t JOIN agencies a ON a.id = t.agency_id WHERE t.id = $1`, tokenID))
	if err != nil {
		return err
	}
	if err := authz.Check(a, authz.IntakeManage, authz.Record(t.AgencyID)); err != nil {
		return err
	}
	if t.RevokedAt != nil {
		return nil
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE intake_tokens SET revoked_at = $1 WHERE id = $2`, s.now().UnixMilli(), t.ID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: IntakeTokenRevoked, Actor: a.AuditActor(), AgencyID: t.AgencyID,
			TargetType: "intake_token", TargetID: t.ID, Before: t})
		return err
	})
	if err == nil {
		s.tokens.forgetID(t.ID)
	}
	return err
}

func scanToken(sc store.Scanner) (Token, error) {
	var t Token
	var created int64
	var used, revoked sql.NullInt64
	err := sc.Scan(&t.ID, &t.AgencyID, &t.Agency, &t.Name, &t.CreatedBy, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, authz.ErrNotFound
	}
	if err != nil {
		return Token{}, err
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	if used.Valid {
		x := time.UnixMilli(used.Int64).UTC()
		t.LastUsedAt = &x
	}
	if revoked.Valid {
		x := time.UnixMilli(revoked.Int64).UTC()
		t.RevokedAt = &x
	}
	return t, nil
}

// tokenCache remembers valid tokens by hash for tokenCacheTTL, so a busy
// shipper does not cost a database read per request.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry // by token hash
}

type tokenEntry struct {
	id      identity
	expires time.Time
	usedAt  time.Time // last time last_used_at was written
}

const maxCachedTokens = 10000

// lookup resolves a secret to its identity; ok is false for an unknown,
// revoked or malformed token.
func (s *Service) lookup(ctx context.Context, secret string) (identity, bool, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return identity{}, false, nil
	}
	hash := accounts.HashToken(secret)
	now := s.now()
	c := s.tokens
	c.mu.Lock()
	e, hit := c.entries[hash]
	c.mu.Unlock()
	if hit && now.Before(e.expires) {
		return e.id, true, nil
	}
	var idn identity
	var revoked sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT t.id, t.agency_id, a.code, t.revoked_at FROM intake_tokens t JOIN agencies a ON a.id = t.agency_id WHERE t.token_hash = $1`, hash).
		Scan(&idn.TokenID, &idn.AgencyID, &idn.Agency, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		c.mu.Lock()
		delete(c.entries, hash)
		c.mu.Unlock()
		return identity{}, false, nil
	}
	if err != nil {
		return identity{}, false, err
	}
	// Record use at most once a minute per token.
	if !hit || now.Sub(e.usedAt) > time.Minute {
		e.usedAt = now
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE intake_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), idn.TokenID)
			return err
		}); err != nil {
			s.log.Warn("intake: record token use", "err", err)
		}
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedTokens {
		for k := range c.entries { // drop an arbitrary entry
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = tokenEntry{id: idn, expires: now.Add(tokenCacheTTL), usedAt: e.usedAt}
	c.mu.Unlock()
	return idn, true, nil
}

// forgetID drops a revoked token from this node's cache at once.
func (c *tokenCache) forgetID(tokenID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.id.TokenID == tokenID {
			delete(c.entries, k)
		}
	}
}

package accounts

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// SessionStore keeps browser sessions (github.com/alexedwards/scs) in
// kubu's database, so any node can serve any session. Session tokens are
// stored hashed: a copy of the database does not let anyone sign in.
type SessionStore struct{ db *store.DB }

// NewSessionStore returns the store.
func NewSessionStore(db *store.DB) *SessionStore { return &SessionStore{db: db} }

// Find implements scs.Store.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx implements scs.CtxStore.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.R().QueryRowContext(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > $2`,
		HashToken(token), time.Now().UnixMilli()).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// Commit implements scs.Store.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx implements scs.CtxStore.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES ($1,$2,$3)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
			HashToken(token), b, expiry.UnixMilli())
		return err
	})
}

// Delete implements scs.Store.
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// DeleteCtx implements scs.CtxStore.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, HashToken(token))
		return err
	})
}

// Sweep deletes expired sessions.
func (s *SessionStore) Sweep(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, time.Now().UnixMilli())
		return err
	})
}

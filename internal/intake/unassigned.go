package intake

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// unassignedLog counts events from syslog senders no source network maps
// to an agency, so wog-admins can map them.
type unassignedLog struct {
	mu      sync.Mutex
	pending map[statKey]unassignedCount // agencyID field holds the address
	db      *store.DB
	now     func() time.Time
}

type unassignedCount struct {
	events      int64
	first, last time.Time
}

// maxUnassignedPending bounds the senders remembered between flushes.
const maxUnassignedPending = 10000

func newUnassignedLog(db *store.DB, now func() time.Time) *unassignedLog {
	return &unassignedLog{pending: map[statKey]unassignedCount{}, db: db, now: now}
}

func (u *unassignedLog) note(addr, protocol string, n int64) {
	now := u.now()
	u.mu.Lock()
	defer u.mu.Unlock()
	k := statKey{addr, protocol}
	c, ok := u.pending[k]
	if !ok && len(u.pending) >= maxUnassignedPending {
		return
	}
	if !ok {
		c.first = now
	}
	c.events += n
	c.last = now
	u.pending[k] = c
}

func (u *unassignedLog) flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[statKey]unassignedCount{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return u.db.Tx(ctx, func(tx *sql.Tx) error {
		for k, c := range batch {
			_, err := tx.ExecContext(ctx, `INSERT INTO intake_unassigned (addr, protocol, first_seen, last_seen, events) VALUES ($1,$2,$3,$4,$5)
				ON CONFLICT (addr, protocol) DO UPDATE SET last_seen = excluded.last_seen, events = intake_unassigned.events + excluded.events`,
				k.agencyID, k.protocol, c.first.UnixMilli(), c.last.UnixMilli(), c.events)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// UnassignedSource is a syslog sender no source network maps to an agency.
type UnassignedSource struct {
	Addr      string    `json:"addr"`
	Protocol  string    `json:"protocol"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Events    int64     `json:"events"`
}

// Unassigned lists unmapped syslog senders, most recently seen first
// (wog-admins only).
func (s *Service) Unassigned(ctx context.Context, a authz.Actor) ([]UnassignedSource, error) {
	if err := authz.Check(a, authz.IntakeUnassigned, authz.Collection()); err != nil {
		return nil, err
	}
	if err := s.unassigned.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT addr, protocol, first_seen, last_seen, events FROM intake_unassigned ORDER BY last_seen DESC LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UnassignedSource{}
	for rows.Next() {
		var u UnassignedSource
		var first, last int64
		if err := rows.Scan(&u.Addr, &u.Protocol, &first, &last, &u.Events); err != nil {
			return nil, err
		}
		u.FirstSeen, u.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

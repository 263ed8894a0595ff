package intake

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// Bounds of the HEC acknowledgement records.
const (
	// maxAcksPerChannel unqueried ids are kept per channel (older ones are
	// dropped and then answer false).
	maxAcksPerChannel = 10000
	// ackTTL: ids and channels unused this long are dropped.
	ackTTL = 24 * time.Hour
	// ackSweepEvery bounds how often a node sweeps expired ack records.
	ackSweepEvery = time.Minute
)

var channelRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// validChannel reports whether a X-Splunk-Request-Channel is a GUID, as
// Splunk requires.
func validChannel(c string) bool { return channelRE.MatchString(c) }

// ackStore implements HEC indexer acknowledgement in the database, so that
// every node shares it (a shipper behind a load balancer asks any node)
// and it survives restarts: each request sent on a channel gets the
// channel's next ack id from one counter (unique across nodes and
// restarts) once its events are durable; a query reports an id true once,
// on any node, then forgets it, as Splunk does. A channel belongs to the
// intake token that used it. Bounded: maxAcksPerChannel unqueried ids per
// channel, and what is unused for ackTTL is swept.
type ackStore struct {
	db        *store.DB
	max       int
	lastSweep atomic.Int64 // unix ms
}

func newAckStore(db *store.DB, maxAcks int) *ackStore {
	return &ackStore{db: db, max: maxAcks}
}

// durable issues the channel's next ack id for a request whose events are
// stored. (kubu answers only after storing, so the id is durable the
// moment it is issued; an id is never reported true before that.)
func (a *ackStore) durable(ctx context.Context, tokenID, channel string, now time.Time) (uint64, error) {
	a.sweep(ctx, now)
	ms := now.UnixMilli()
	var id int64
	err := a.db.Tx(ctx, func(tx *sql.Tx) error {
		var next int64
		err := tx.QueryRowContext(ctx, `INSERT INTO hec_ack_channels (token_id, channel, next_id, used_at) VALUES ($1, $2, 1, $3)
			ON CONFLICT (token_id, channel) DO UPDATE SET next_id = hec_ack_channels.next_id + 1, used_at = excluded.used_at
			RETURNING next_id`, tokenID, channel, ms).Scan(&next)
		if err != nil {
			return err
		}
		id = next - 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO hec_acks (token_id, channel, ack_id, created_at) VALUES ($1, $2, $3, $4)`,
			tokenID, channel, id, ms); err != nil {
			return err
		}
		if id >= int64(a.max) && id%int64(min(64, a.max)) == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM hec_acks WHERE token_id = $1 AND channel = $2 AND ack_id <= $3`,
				tokenID, channel, id-int64(a.max))
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("hec ack: %w", err)
	}
	return uint64(id), nil
}

// query answers an ack request: true for ids that are durable and not
// reported before (by any node); reported ids are forgotten.
func (a *ackStore) query(ctx context.Context, tokenID, channel string, ids []uint64, now time.Time) (map[uint64]bool, error) {
	out := make(map[uint64]bool, len(ids))
	var args []any
	var marks []string
	args = append(args, tokenID, channel)
	for _, id := range ids {
		out[id] = false
		if id > 1<<62 {
			continue // never issued
		}
		args = append(args, int64(id))
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	if len(marks) == 0 {
		return out, nil
	}
	err := a.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM hec_acks WHERE token_id = $1 AND channel = $2 AND ack_id IN (`+strings.Join(marks, ",")+`)
			RETURNING ack_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[uint64(id)] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE hec_ack_channels SET used_at = $1 WHERE token_id = $2 AND channel = $3`, now.UnixMilli(), tokenID, channel)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("hec ack: %w", err)
	}
	return out, nil
}

// sweep drops ack ids and channels unused for ackTTL, at most once every
// ackSweepEvery per node.
func (a *ackStore) sweep(ctx context.Context, now time.Time) {
	last := a.lastSweep.Load()
	if now.UnixMilli()-last < ackSweepEvery.Milliseconds() || !a.lastSweep.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	cut := now.Add(-ackTTL).UnixMilli()
	a.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hec_acks WHERE created_at < $1`, cut); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM hec_ack_channels WHERE used_at < $1`, cut)
		return err
	})
}

package detect

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// alertEventsPerInsert is how many matches one INSERT into alert_events
// writes (7 parameters each; SQLite looks numbered parameters up in a list
// when preparing, so far larger statements prepare slowly).
const alertEventsPerInsert = 32

// alertEventInserter writes the matches of a group. On PostgreSQL it
// sends multi-row INSERTs, one statement (one round trip) per
// alertEventsPerInsert matches instead of one per match, which halved the
// time per match (BenchmarkWriteHits); on SQLite, in-process, the
// multi-row statement with RETURNING measured slower than one prepared
// INSERT per match, which it keeps. Statements are prepared once per
// transaction.
type alertEventInserter struct {
	tx        *sql.Tx
	multi     bool // multi-row INSERTs (PostgreSQL: one round trip per statement)
	full, one *sql.Stmt
}

// alertEventsSQL is the INSERT of n matches; it returns the event ids it
// stored (a match already recorded, i.e. a redelivery, is skipped).
func alertEventsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO alert_events (rule_id, event_id, hunt_id, alert_id, agency_id, event_time, event) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range 7 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*7 + j + 1))
		}
		b.WriteByte(')')
	}
	b.WriteString(` ON CONFLICT (rule_id, event_id, hunt_id) DO NOTHING RETURNING event_id`)
	return b.String()
}

// insert stores hs (of one rule, at most alertEventsPerInsert) in alert
// alertID, keeping the full event for the first keep of them, and returns
// the event ids stored.
func (w *alertEventInserter) insert(ctx context.Context, hs []*hit, huntID, alertID, agencyID string, keep int) (map[string]struct{}, error) {
	args := make([]any, 0, len(hs)*7)
	for i, h := range hs {
		ev := ""
		if i < keep {
			ev = string(h.event)
		}
		args = append(args, h.ruleID, h.eventID, huntID, alertID, agencyID, h.at.UnixMilli(), ev)
	}
	added := make(map[string]struct{}, len(hs))
	var err error
	if !w.multi || len(hs) < alertEventsPerInsert {
		// Row by row on one prepared statement: on SQLite (in-process, no
		// round trips, where it measured faster) and for a short
		// remainder (preparing a statement per size costs more than it
		// saves).
		if w.one == nil {
			if w.one, err = w.tx.PrepareContext(ctx, `INSERT INTO alert_events (rule_id, event_id, hunt_id, alert_id, agency_id, event_time, event)
				VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (rule_id, event_id, hunt_id) DO NOTHING`); err != nil {
				return nil, err
			}
		}
		for i, h := range hs {
			res, err := w.one.ExecContext(ctx, args[i*7:i*7+7]...)
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added[h.eventID] = struct{}{}
			}
		}
		return added, nil
	}
	if w.full == nil {
		if w.full, err = w.tx.PrepareContext(ctx, alertEventsSQL(alertEventsPerInsert)); err != nil {
			return nil, err
		}
	}
	rows, err := w.full.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		added[id] = struct{}{}
	}
	return added, rows.Err()
}

func (w *alertEventInserter) close() {
	for _, st := range []*sql.Stmt{w.full, w.one} {
		if st != nil {
			st.Close()
		}
	}
}

package detect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/sigma"
	"github.com/kubu-gov/kubu/internal/store"
)

// Alert kinds.
const (
	KindDetection   = "detection"
	KindCorrelation = "correlation"
	KindSilence     = "silence"
)

// hit is one (rule, event) match on its way to an alert.
type hit struct {
	ruleID, title, level, kind string
	tags                       []string
	eventID                    string // the idempotency key with the rule
	agency                     string // code, or "unassigned"
	group                      map[string]string
	at                         time.Time
	event                      []byte // the event, kept for the first events of an alert
}

func hitOf(r *sigma.Rule, kind string) hit {
	level := severity.Level(r.Level) // "" and unknown names are medium
	title := r.Title
	if title == "" {
		title = r.Name
	}
	return hit{ruleID: r.ID, title: title, level: level, kind: kind, tags: r.Tags}
}

type groupKey struct{ rule, agency, key string }

// writeHits turns hits into alerts inside tx: a (rule, event, hunt) seen
// before is skipped (redelivery), the rest join the open alert of their
// rule, agency and group seen within the grouping window, or open one. It
// returns how many hits were new.
func (s *Service) writeHits(ctx context.Context, tx *sql.Tx, hits []hit, huntID string) (int, error) {
	if len(hits) == 0 {
		return 0, nil
	}
	groups := map[groupKey][]*hit{}
	var order []groupKey
	for i := range hits {
		h := &hits[i]
		gk, _ := json.Marshal(h.group)
		k := groupKey{h.ruleID, h.agency, string(gk)}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], h)
	}
	// A fixed order keeps concurrent writers (PostgreSQL) from
	// deadlocking on each other's alert rows.
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return a.rule < b.rule || a.rule == b.rule && (a.agency < b.agency || a.agency == b.agency && a.key < b.key)
	})
	ins := alertEventInserter{tx: tx, multi: s.db.Engine == store.Postgres}
	defer ins.close()
	now := s.now().UnixMilli()
	total := 0
	for _, k := range order {
		hs := groups[k]
		agencyID := s.agencyID(ctx, k.agency)
		earliest := hs[0].at
		for _, h := range hs {
			if h.at.Before(earliest) {
				earliest = h.at
			}
		}
		if s.db.Engine == store.Postgres {
			// Writers on several connections must not both open an alert
			// for the same group: serialise them on the group (groups are
			// taken in a fixed order, so this cannot deadlock). SQLite
			// writes are serial already.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, groupLock(k, huntID)); err != nil {
				return 0, fmt.Errorf("alert group lock: %w", err)
			}
		}
		var alertID string
		var count int64
		err := tx.QueryRowContext(ctx, `SELECT id, event_count FROM alerts WHERE rule_id = $1 AND agency_id = $2 AND hunt_id = $3
			AND group_key = $4 AND status <> 'closed' AND last_seen >= $5 ORDER BY last_seen DESC LIMIT 1`,
			k.rule, agencyID, huntID, k.key, earliest.Add(-s.opts.GroupWindow).UnixMilli()).Scan(&alertID, &count)
		isNew := errors.Is(err, sql.ErrNoRows)
		if err != nil && !isNew {
			return 0, fmt.Errorf("find alert: %w", err)
		}
		if isNew {
			alertID = id.New()
		}
		inserted := 0
		var first, last time.Time
		for start := 0; start < len(hs); start += alertEventsPerInsert {
			chunk := hs[start:min(len(hs), start+alertEventsPerInsert)]
			added, err := ins.insert(ctx, chunk, huntID, alertID, agencyID, max(0, s.opts.MaxStoredEvents-int(count)-inserted))
			if err != nil {
				return 0, fmt.Errorf("alert event: %w", err)
			}
			for _, h := range chunk {
				if _, ok := added[h.eventID]; !ok {
					continue // seen before: a redelivery (or twice in this batch)
				}
				delete(added, h.eventID)
				inserted++
				if first.IsZero() || h.at.Before(first) {
					first = h.at
				}
				if h.at.After(last) {
					last = h.at
				}
			}
		}
		if inserted == 0 {
			continue
		}
		total += inserted
		h := hs[0]
		if isNew {
			tags, _ := json.Marshal(nonNil(h.tags))
			_, err = tx.ExecContext(ctx, `INSERT INTO alerts (id, rule_id, rule_title, level, level_rank, tags, agency_id, agency, system_id,
				kind, hunt_id, group_key, group_fields, status, first_seen, last_seen, event_count, created_at, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'open',$14,$15,$16,$17,$17)`,
				alertID, h.ruleID, h.title, h.level, severity.Rank(h.level), string(tags), agencyID, h.agency, s.systemOf(ctx, agencyID, h.group["host"]),
				h.kind, huntID, k.key, k.key, first.UnixMilli(), last.UnixMilli(), inserted, now)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE alerts SET event_count = event_count + $1,
				first_seen = CASE WHEN first_seen > $2 THEN $2 ELSE first_seen END,
				last_seen = CASE WHEN last_seen < $3 THEN $3 ELSE last_seen END, updated_at = $4 WHERE id = $5`,
				inserted, first.UnixMilli(), last.UnixMilli(), now, alertID)
		}
		if err != nil {
			return 0, fmt.Errorf("alert: %w", err)
		}
	}
	return total, nil
}

// groupLock is the advisory lock key of an alert group.
func groupLock(k groupKey, huntID string) int64 {
	h := fnv.New64a()
	for _, part := range []string{"kubu-alert", k.rule, k.agency, k.key, huntID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package detect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// SilenceRuleID is the rule id of silent-source alerts.
const SilenceRuleID = "kubu-silent-source"

// touchSources records when each source last sent an event; a source that
// speaks again may be alerted on again once it falls silent.
func (s *Service) touchSources(ctx context.Context, tx *sql.Tx, sources map[sourceKey]sourceSeen) error {
	if len(sources) == 0 {
		return nil
	}
	keys := make([]sourceKey, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.agency < b.agency || a.agency == b.agency && (a.protocol < b.protocol || a.protocol == b.protocol && a.host < b.host)
	})
	for _, k := range keys {
		_, err := tx.ExecContext(ctx, `INSERT INTO source_last_seen (agency, protocol, host, agency_id, last_seen) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (agency, protocol, host) DO UPDATE SET
				silent_alert_id = CASE WHEN excluded.last_seen > source_last_seen.last_seen THEN '' ELSE source_last_seen.silent_alert_id END,
				last_seen = CASE WHEN excluded.last_seen > source_last_seen.last_seen THEN excluded.last_seen ELSE source_last_seen.last_seen END`,
			k.agency, k.protocol, k.host, s.agencyID(ctx, k.agency), sources[k].at.UnixMilli())
		if err != nil {
			return fmt.Errorf("source last seen: %w", err)
		}
		for min, n := range sources[k].minutes {
			_, err := tx.ExecContext(ctx, `INSERT INTO source_minutes (agency, protocol, host, minute, agency_id, events) VALUES ($1,$2,$3,$4,$5,$6)
				ON CONFLICT (agency, protocol, host, minute) DO UPDATE SET events = source_minutes.events + excluded.events`,
				k.agency, k.protocol, k.host, min, s.agencyID(ctx, k.agency), n)
			if err != nil {
				return fmt.Errorf("source minutes: %w", err)
			}
		}
	}
	return nil
}

// checkSilence raises one alert for each source silent longer than
// SilenceAfter that has not been alerted on since it last spoke.
func (s *Service) checkSilence(ctx context.Context) (int, error) {
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM source_minutes WHERE minute < $1`, s.now().Add(-rateKeep).Unix()/60)
		return err
	}); err != nil {
		return 0, fmt.Errorf("prune source minutes: %w", err)
	}
	if s.opts.SilenceAfter < 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.opts.SilenceAfter).UnixMilli()
	rows, err := s.db.R().QueryContext(ctx, `SELECT agency, protocol, host, last_seen FROM source_last_seen
		WHERE silent_alert_id = '' AND last_seen < $1 ORDER BY last_seen LIMIT 1000`, cutoff)
	if err != nil {
		return 0, err
	}
	type silent struct {
		k    sourceKey
		last int64
	}
	var found []silent
	for rows.Next() {
		var x silent
		if err := rows.Scan(&x.k.agency, &x.k.protocol, &x.k.host, &x.last); err != nil {
			rows.Close()
			return 0, err
		}
		found = append(found, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	raised := 0
	for _, x := range found {
		last := time.UnixMilli(x.last).UTC()
		eventID := fmt.Sprintf("silence:%s:%s:%s:%d", x.k.agency, x.k.protocol, x.k.host, x.last)
		ev, _ := json.Marshal(map[string]any{"agency": x.k.agency, "protocol": x.k.protocol, "host": x.k.host,
			"last_seen": last, "silent_for": s.now().Sub(last).Round(time.Second).String()})
		h := hit{ruleID: SilenceRuleID, title: "Log source went silent", level: "medium", kind: KindSilence, tags: []string{},
			eventID: eventID, agency: x.k.agency, at: s.now(), event: ev,
			group: map[string]string{"protocol": x.k.protocol, "host": x.k.host}}
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE source_last_seen SET silent_alert_id = $1
				WHERE agency = $2 AND protocol = $3 AND host = $4 AND last_seen = $5 AND silent_alert_id = ''`,
				eventID, x.k.agency, x.k.protocol, x.k.host, x.last)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // it spoke again meanwhile
			}
			_, err = s.writeHits(ctx, tx, []hit{h}, "")
			return err
		})
		if err != nil {
			return raised, err
		}
		raised++
	}
	return raised, nil
}

// Source is one sender of events and when it last sent one.
type Source struct {
	Agency   string    `json:"agency"`
	Protocol string    `json:"protocol"`
	Host     string    `json:"host"`
	LastSeen time.Time `json:"last_seen"`
	Silent   bool      `json:"silent"`
}

// Sources lists the sources the caller may see, most recently heard first.
func (s *Service) Sources(ctx context.Context, a authz.Actor) ([]Source, error) {
	sc, err := authz.ScopeFor(a, authz.AlertRead)
	if err != nil {
		return nil, err
	}
	var wh store.Where
	sc.Where(&wh, "agency_id", "")
	rows, err := s.db.R().QueryContext(ctx, `SELECT agency, protocol, host, last_seen, silent_alert_id FROM source_last_seen`+wh.SQL()+
		` ORDER BY last_seen DESC LIMIT 500`, wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Source{}
	for rows.Next() {
		var x Source
		var last int64
		var alerted string
		if err := rows.Scan(&x.Agency, &x.Protocol, &x.Host, &last, &alerted); err != nil {
			return nil, err
		}
		x.LastSeen, x.Silent = time.UnixMilli(last).UTC(), alerted != ""
		out = append(out, x)
	}
	return out, rows.Err()
}

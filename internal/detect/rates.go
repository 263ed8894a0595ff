package detect

import (
	"context"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// rateKeep is how long events-per-minute counts are kept.
const rateKeep = 24 * time.Hour

// SourceRate is one source's events per minute over a window, oldest
// minute first (a minute without events counts 0).
type SourceRate struct {
	Agency, Protocol, Host string
	PerMinute              []int64
	Total                  int64
}

// maxRateSources bounds the sources EventRates returns (the busiest).
const maxRateSources = 20

// EventRates counts the events of each source the caller may see in each
// of the last minutes whole minutes up to now, busiest sources first (at
// most maxRateSources).
func (s *Service) EventRates(ctx context.Context, a authz.Actor, minutes int) ([]SourceRate, error) {
	sc, err := authz.ScopeFor(a, authz.AlertRead)
	if err != nil {
		return nil, err
	}
	minutes = min(max(minutes, 1), int(rateKeep/time.Minute))
	last := s.now().Unix() / 60
	first := last - int64(minutes) + 1
	var wh store.Where
	wh.And("minute >= " + wh.Arg(first))
	sc.Where(&wh, "agency_id", "")
	rows, err := s.db.R().QueryContext(ctx, `SELECT agency, protocol, host, minute, events FROM source_minutes`+wh.SQL(), wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byKey := map[sourceKey]*SourceRate{}
	for rows.Next() {
		var k sourceKey
		var minute, n int64
		if err := rows.Scan(&k.agency, &k.protocol, &k.host, &minute, &n); err != nil {
			return nil, err
		}
		if minute > last {
			continue // received "in the future" by a node whose clock runs ahead
		}
		r := byKey[k]
		if r == nil {
			r = &SourceRate{Agency: k.agency, Protocol: k.protocol, Host: k.host, PerMinute: make([]int64, minutes)}
			byKey[k] = r
		}
		r.PerMinute[minute-first] += n
		r.Total += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]SourceRate, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Agency+out[i].Protocol+out[i].Host < out[j].Agency+out[j].Protocol+out[j].Host
	})
	if len(out) > maxRateSources {
		out = out[:maxRateSources]
	}
	return out, nil
}

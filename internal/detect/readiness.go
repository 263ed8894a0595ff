package detect

import (
	"context"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// HostsLastSeen answers, for each system, when each of its hosts last sent
// an event to the agency's intake: a source whose host is one of the
// system's hostnames, or that hostname's first label when the source names
// itself without a domain (syslog often does). The readiness prong
// evidences IM8 lm-12 (central log management) with it. It does no access
// check: a trusted internal read.
func (s *Service) HostsLastSeen(ctx context.Context, systemIDs []string) (map[string]map[string]time.Time, error) {
	out := map[string]map[string]time.Time{}
	for start := 0; start < len(systemIDs); start += 500 {
		var w store.Where
		w.In("h.system_id", systemIDs[start:min(start+500, len(systemIDs))])
		rows, err := s.db.R().QueryContext(ctx, `SELECT h.system_id, l.host, MAX(l.last_seen)
			FROM hostnames h JOIN systems sy ON sy.id = h.system_id
			JOIN source_last_seen l ON l.agency_id = sy.agency_id AND (LOWER(l.host) = h.name
				OR (l.host NOT LIKE '%.%' AND l.host <> '' AND h.name LIKE LOWER(l.host) || '.%'))`+w.SQL()+`
			GROUP BY h.system_id, l.host`, w.Args()...)
		if err != nil {
			return nil, err
		}
		type row struct {
			system, host string
			at           int64
		}
		got, err := store.Collect(rows, func(sc store.Scanner) (row, error) {
			var r row
			return r, sc.Scan(&r.system, &r.host, &r.at)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			if out[r.system] == nil {
				out[r.system] = map[string]time.Time{}
			}
			out[r.system][r.host] = time.UnixMilli(r.at).UTC()
		}
	}
	return out, nil
}

package detect

import (
	"context"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// AlertCount is how many alerts of one agency, level and status are not
// closed, and when the oldest of them was first seen.
type AlertCount struct {
	Agency, Level, Status string
	N                     int
	Oldest                time.Time
}

// ActiveAlertCounts counts the open and acknowledged alerts the caller may
// see by agency, level and status.
func (s *Service) ActiveAlertCounts(ctx context.Context, a authz.Actor) ([]AlertCount, error) {
	sc, err := authz.ScopeFor(a, authz.AlertRead)
	if err != nil {
		return nil, err
	}
	var wh store.Where
	sc.Where(&wh, "agency_id", "")
	wh.In("status", []string{StatusOpen, StatusAcknowledged})
	rows, err := s.db.R().QueryContext(ctx, `SELECT agency, level, status, COUNT(*), MIN(first_seen) FROM alerts`+wh.SQL()+
		` GROUP BY agency, level, status ORDER BY agency, level, status`, wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlertCount
	for rows.Next() {
		var c AlertCount
		var oldest int64
		if err := rows.Scan(&c.Agency, &c.Level, &c.Status, &c.N, &oldest); err != nil {
			return nil, err
		}
		c.Oldest = time.UnixMilli(oldest).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// OldestUnacknowledged lists the open (not yet acknowledged) alerts the
// caller may see, longest waiting first.
func (s *Service) OldestUnacknowledged(ctx context.Context, a authz.Actor, limit int) ([]Alert, error) {
	sc, err := authz.ScopeFor(a, authz.AlertRead)
	if err != nil {
		return nil, err
	}
	var wh store.Where
	sc.Where(&wh, "al.agency_id", "")
	wh.And("al.status = " + wh.Arg(StatusOpen))
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+alertCols+alertFrom+wh.SQL()+` ORDER BY al.first_seen, al.id LIMIT `+wh.Arg(min(max(limit, 1), 100)), wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		al, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, al)
	}
	return out, rows.Err()
}

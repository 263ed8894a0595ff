package findings

import (
	"context"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// Deadlines is how a system's findings stand against their agency's
// deadlines: readiness evidences IM8 st-5 (vulnerability management) with
// it.
type Deadlines struct {
	Open         int        // open or in progress
	Overdue      int        // open past their deadline
	OldestDue    *time.Time // the earliest deadline among the overdue
	ClosedInTime int        // closed since the window began, on or before their deadline (or with none)
	ClosedLate   int        // closed since the window began, after their deadline
}

// Total is the number of findings that show anything.
func (d Deadlines) Total() int { return d.Open + d.ClosedInTime + d.ClosedLate }

// DeadlinesOf answers, for each system, how its findings stand against
// their deadlines at now, counting findings closed since since. Duplicates
// do not count. It does no access check: a trusted internal read.
func (s *Service) DeadlinesOf(ctx context.Context, systemIDs []string, since, now time.Time) (map[string]Deadlines, error) {
	out := map[string]Deadlines{}
	for start := 0; start < len(systemIDs); start += 500 {
		chunk := systemIDs[start:min(start+500, len(systemIDs))]
		var w store.Where
		w.In("system_id", chunk)
		w.And("status <> 'duplicate'")
		w.And("(status IN ('open','in-progress') OR closed_at >= " + w.Arg(since.UnixMilli()) + ")")
		n := w.Arg(now.UnixMilli())
		rows, err := s.db.R().QueryContext(ctx, `SELECT system_id,
			SUM(CASE WHEN status IN ('open','in-progress') THEN 1 ELSE 0 END),
			SUM(CASE WHEN status IN ('open','in-progress') AND due_at < `+n+` THEN 1 ELSE 0 END),
			MIN(CASE WHEN status IN ('open','in-progress') AND due_at < `+n+` THEN due_at END),
			SUM(CASE WHEN status NOT IN ('open','in-progress') AND (due_at IS NULL OR closed_at <= due_at) THEN 1 ELSE 0 END),
			SUM(CASE WHEN status NOT IN ('open','in-progress') AND closed_at > due_at THEN 1 ELSE 0 END)
			FROM findings`+w.SQL()+` GROUP BY system_id`, w.Args()...)
		if err != nil {
			return nil, err
		}
		type row struct {
			id string
			d  Deadlines
		}
		got, err := store.Collect(rows, func(sc store.Scanner) (row, error) {
			var r row
			var oldest *int64
			err := sc.Scan(&r.id, &r.d.Open, &r.d.Overdue, &oldest, &r.d.ClosedInTime, &r.d.ClosedLate)
			if oldest != nil {
				t := time.UnixMilli(*oldest).UTC()
				r.d.OldestDue = &t
			}
			return r, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			out[r.id] = r.d
		}
	}
	return out, nil
}

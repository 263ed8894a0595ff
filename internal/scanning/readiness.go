package scanning

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// TargetState is where one scan target stands: when it was last scanned,
// when the cadence has it due again, and the IM8 verdicts of that scan.
type TargetState struct {
	Hostname  string
	NextDueAt time.Time
	ScannedAt time.Time         // zero before the first result
	IM8       map[string]string // control id → met | not-met | not-applicable
}

// TargetStates lists the scan targets of each system with their latest
// result: the readiness prong evidences IM8 st-1 (scans within the
// cadence), st-3 (security.txt) and ns-6 (certificates) with it. It does
// no access check: a trusted internal read.
func (s *Service) TargetStates(ctx context.Context, systemIDs []string) (map[string][]TargetState, error) {
	out := map[string][]TargetState{}
	for start := 0; start < len(systemIDs); start += 500 {
		var w store.Where
		w.In("t.system_id", systemIDs[start:min(start+500, len(systemIDs))])
		rows, err := s.db.R().QueryContext(ctx, `SELECT t.system_id, t.hostname, t.next_due_at, r.scanned_at, r.im8
			FROM scan_targets t LEFT JOIN scan_results r ON r.id = t.last_result_id`+w.SQL()+` ORDER BY t.system_id, t.hostname`, w.Args()...)
		if err != nil {
			return nil, err
		}
		type row struct {
			system string
			st     TargetState
		}
		got, err := store.Collect(rows, func(sc store.Scanner) (row, error) {
			var r row
			var due int64
			var at sql.NullInt64
			var im8 sql.NullString
			if err := sc.Scan(&r.system, &r.st.Hostname, &due, &at, &im8); err != nil {
				return r, err
			}
			r.st.NextDueAt = time.UnixMilli(due).UTC()
			if at.Valid {
				r.st.ScannedAt = time.UnixMilli(at.Int64).UTC()
			}
			if im8.Valid {
				if err := json.Unmarshal([]byte(im8.String), &r.st.IM8); err != nil {
					return r, fmt.Errorf("im8 verdicts of %s: %w", r.st.Hostname, err)
				}
			}
			return r, nil
		})
		if err != nil {
			return nil, err
		}
		for _, r := range got {
			out[r.system] = append(out[r.system], r.st)
		}
	}
	return out, nil
}

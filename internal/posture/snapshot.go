package posture

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
)

// Audit codes of posture. Stable: never renumber or reuse.
var (
	SnapshotTaken = audit.Define("J1200I", "posture.snapshot_taken")
)

// snapshotActor is who takes the daily snapshots.
var snapshotActor = audit.Actor{ID: "system", Label: "kubu posture snapshots"}

// Snapshot records today's (UTC) posture of every agency and of the whole
// of government, once a day cluster-wide: every node may call it (the
// job runs hourly); the first to insert the day's whole-of-government row
// writes the day, and the others find it there and do nothing. It reports
// how many rows it wrote.
func (s *Service) Snapshot(ctx context.Context) (int, error) {
	now := s.now().UTC()
	day := now.Format(time.DateOnly)
	var n int
	if err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM posture_snapshots WHERE agency_id = '' AND day = $1`, day).Scan(&n); err != nil {
		return 0, fmt.Errorf("posture snapshot: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	all, wog, err := s.compute(ctx, "")
	if err != nil {
		return 0, err
	}
	wrote := 0
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		wrote = 0
		ins := func(agencyID string, p *Posture) (int64, error) {
			res, err := tx.ExecContext(ctx, `INSERT INTO posture_snapshots (agency_id, day, score, met, not_met, not_assessed, open, overdue, taken_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (agency_id, day) DO NOTHING`,
				agencyID, day, p.Score, p.Controls.Met, p.Controls.NotMet, p.Controls.NotAssessed, p.Findings.Open, p.Findings.Overdue, now.UnixMilli())
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}
		k, err := ins("", wog)
		if err != nil || k == 0 {
			return err // another node wrote the day
		}
		wrote++
		for id, p := range all {
			k, err := ins(id, p)
			if err != nil {
				return err
			}
			wrote += int(k)
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: SnapshotTaken, Actor: snapshotActor, TargetType: "posture_snapshot", TargetID: day,
			After: map[string]any{"day": day, "agencies": len(all), "score": wog.Score}})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("posture snapshot: %w", err)
	}
	return wrote, nil
}

// trend is the agency's ("" the whole of government's) daily scores of
// the last TrendDays days, oldest first, ending with today's live score
// when today has no snapshot yet.
func (s *Service) trend(ctx context.Context, agencyID string, live *float64) ([]Point, error) {
	today := s.now().UTC().Format(time.DateOnly)
	from := s.now().UTC().AddDate(0, 0, -TrendDays+1).Format(time.DateOnly)
	out := []Point{}
	err := each(ctx, s.db.R(), `SELECT day, score FROM posture_snapshots WHERE agency_id = $1 AND day >= $2 ORDER BY day`,
		[]any{agencyID, from}, func(r *sql.Rows) error {
			var p Point
			var sc sql.NullFloat64
			if err := r.Scan(&p.Date, &sc); err != nil {
				return err
			}
			if sc.Valid {
				v := sc.Float64
				p.Score = &v
			}
			out = append(out, p)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("posture trend: %w", err)
	}
	if len(out) == 0 || out[len(out)-1].Date != today {
		out = append(out, Point{Date: today, Score: live})
	}
	return out, nil
}

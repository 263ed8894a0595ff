package indicators

import (
	"context"
	"database/sql"
	"time"
	"unsafe"

	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/match"
)

// unsafeString views b as a string without copying; the string is valid
// only until b's buffer is reused (the next row).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// LoadStats says how the current matcher set was built.
type LoadStats struct {
	Indicators int           // active indicators indexed
	Version    int64         // the indicators version read
	Took       time.Duration // reading and building
}

// Load reads every active (or yet to start) indicator and makes the
// matcher use a set built from them; matching goes on with the old set
// until the new one is ready.
func (s *Service) Load(ctx context.Context) (LoadStats, error) {
	start := time.Now()
	v, err := s.Version(ctx)
	if err != nil {
		return LoadStats{}, err
	}
	now := s.now()
	var n int
	s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM intel_indicators WHERE valid_until IS NULL OR valid_until > $1`, now.UnixMilli()).Scan(&n)
	// Only what matching needs: an indicator's name, confidence and TLP
	// are read when it hits (see details), which keeps a million of them
	// small in memory and quick to read.
	rows, err := s.db.R().QueryContext(ctx, `SELECT stix_id, type, value, valid_from, valid_until FROM intel_indicators
		WHERE valid_until IS NULL OR valid_until > $1`, now.UnixMilli())
	if err != nil {
		return LoadStats{}, err
	}
	// Each row goes straight into the builder, which copies what it keeps:
	// the row's bytes are read in place (no string a column).
	b := match.NewBuilder(n+n/16, match.Options{Now: now, SkipFields: []string{"@kubu"}})
	var id, typ, value sql.RawBytes
	var from int64
	var until sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&id, &typ, &value, &from, &until); err != nil {
			rows.Close()
			return LoadStats{}, err
		}
		in := intel.Indicator{ID: unsafeString(id), Observable: intel.Observable{Type: intel.Type(unsafeString(typ)), Value: unsafeString(value)},
			ValidFrom: timeOrZero(from)}
		if until.Valid {
			in.ValidUntil = timeOrZero(until.Int64)
		}
		b.Add(&in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return LoadStats{}, err
	}
	set := b.Set()
	if r := set.Rejected(); len(r) > 0 {
		s.log.Warn("indicators the matcher could not index", "count", len(r), "first", r[0].Reason)
	}
	s.matcher.Store(set)
	st := LoadStats{Indicators: set.Len(), Version: v, Took: time.Since(start)}
	s.loaded.Store(&loadState{version: v, next: set.NextChange(), at: now, took: st.Took})
	s.log.Info("indicators loaded", "active", st.Indicators, "seconds", st.Took.Seconds())
	return st, nil
}

// Loaded reports what the current set was built from (ok=false before
// the first Load).
func (s *Service) Loaded() (LoadStats, bool) {
	l := s.loaded.Load()
	set := s.matcher.Load()
	if l == nil || set == nil {
		return LoadStats{}, false
	}
	return LoadStats{Indicators: set.Len(), Version: l.version, Took: l.took}, true
}

// runRefresh reloads the set when the indicators version moves (a change
// on any node) or an indicator starts or ends.
func (s *Service) runRefresh(ctx context.Context) {
	t := time.NewTicker(s.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l := s.loaded.Load()
		v, err := s.Version(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("indicators version", "err", err)
			}
			continue
		}
		if l != nil && v == l.version && (l.next.IsZero() || s.now().Before(l.next)) {
			continue
		}
		if _, err := s.Load(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("indicators reload", "err", err)
		}
	}
}

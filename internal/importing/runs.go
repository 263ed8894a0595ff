package importing

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Runs lists a system's import runs, newest first (at most limit; 1–500).
func (s *Service) Runs(ctx context.Context, a authz.Actor, systemID string, limit int) ([]Run, error) {
	sys, err := s.registry.System(ctx, a, systemID)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, system_id, agency_id, format, tools, bytes, items, skipped, created,
		updated, unchanged, reopened, closed, actor_label, started_at, finished_at
		FROM import_runs WHERE system_id = $1 ORDER BY finished_at DESC, id DESC LIMIT $2`, sys.ID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var r Run
		var tools string
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.SystemID, &r.AgencyID, &r.Format, &tools, &r.Bytes, &r.Items, &r.Skipped, &r.Created,
			&r.Updated, &r.Unchanged, &r.Reopened, &r.Closed, &r.By, &started, &finished); err != nil {
			return nil, err
		}
		r.Tools = []string{}
		if tools != "" {
			r.Tools = strings.Split(tools, "\n")
		}
		r.StartedAt, r.FinishedAt = time.UnixMilli(started).UTC(), time.UnixMilli(finished).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestImport is when the system's latest import finished, and whether
// it had any: automatic evidence (a penetration test result imported
// within N days) reads it. It reads no caller: the evidence job asks for
// systems it already holds.
func (s *Service) LatestImport(ctx context.Context, systemID string) (time.Time, bool, error) {
	var at sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT MAX(finished_at) FROM import_runs WHERE system_id = $1`, systemID).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, err
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at.Int64).UTC(), true, nil
}

// Spool copies an upload to a temporary file (at most MaxBody bytes; more
// answers the reader's error, an *http.MaxBytesError when the caller
// wrapped it), so that the import's transaction never waits on a slow
// client. The caller closes the file; closing removes it.
func Spool(r io.Reader) (*SpoolFile, error) {
	f, err := os.CreateTemp("", "kubu-import-*")
	if err != nil {
		return nil, err
	}
	sf := &SpoolFile{File: f}
	if _, err := io.Copy(f, io.LimitReader(r, MaxBody+1)); err != nil {
		sf.Close()
		return nil, err
	}
	if st, err := f.Stat(); err != nil || st.Size() > MaxBody {
		sf.Close()
		if err == nil {
			err = validate.Errors{{Field: "body", Message: "the file is larger than 100 MB"}}
		}
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		sf.Close()
		return nil, err
	}
	return sf, nil
}

// SpoolFile is a spooled upload, removed when closed.
type SpoolFile struct{ *os.File }

// Close closes and removes the file.
func (s *SpoolFile) Close() error {
	err := s.File.Close()
	os.Remove(s.File.Name())
	return err
}

package indicators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
)

// Source kinds.
const (
	KindUpload   = "upload"   // bundles posted to the API
	KindFile     = "file"     // kubu intel import
	KindManual   = "manual"   // indicators added one by one
	KindTAXII    = "taxii"    // a polled TAXII 2.1 collection
	KindMISP     = "misp"     // a polled MISP feed (manifest.json and events)
	KindCSV      = "csv"      // a polled CSV feed
	KindFreetext = "freetext" // a polled block list, one value a line
)

// Source is where indicators come from, with its counts.
type Source struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	URL        string     `json:"url,omitempty"`
	Collection string     `json:"collection,omitempty"`
	Indicators int64      `json:"indicators"` // rows stored
	Active     int64      `json:"active"`     // rows active now
	Hits       int64      `json:"hits"`
	LastPollAt *time.Time `json:"last_poll_at,omitempty"`
	LastOKAt   *time.Time `json:"last_ok_at,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ensureSource returns the id of the source called name, making it with
// kind when there is none.
func (s *Service) ensureSource(ctx context.Context, tx *sql.Tx, name, kind string) (string, error) {
	var sid string
	err := tx.QueryRowContext(ctx, `SELECT id FROM intel_sources WHERE name = $1`, name).Scan(&sid)
	if err == nil {
		return sid, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	sid = id.New()
	now := s.now().UnixMilli()
	_, err = tx.ExecContext(ctx, `INSERT INTO intel_sources (id, name, kind, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)
		ON CONFLICT (name) DO NOTHING`, sid, name, kind, now)
	if err != nil {
		return "", err
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM intel_sources WHERE name = $1`, name).Scan(&sid)
	return sid, err
}

// checkSourceName refuses names that are empty, long or odd.
func checkSourceName(name string) error {
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "\x00\r\n\t") {
		return fmt.Errorf("a source name is 1 to 100 characters on one line")
	}
	return nil
}

// Sources lists the sources with their counts.
func (s *Service) Sources(ctx context.Context, a authz.Actor) ([]Source, error) {
	if err := authz.Check(a, authz.IntelRead, authz.Collection()); err != nil {
		return nil, err
	}
	now := s.now().UnixMilli()
	rows, err := s.db.R().QueryContext(ctx, `SELECT s.id, s.name, s.kind, s.url, s.collection, s.last_poll_at, s.last_ok_at, s.last_error, s.created_at,
		(SELECT COUNT(*) FROM intel_indicators i WHERE i.source_id = s.id),
		(SELECT COUNT(*) FROM intel_indicators i WHERE i.source_id = s.id AND (i.valid_until IS NULL OR i.valid_until > $1) AND i.valid_from <= $1),
		(SELECT COALESCE(SUM(h.hits), 0) FROM intel_hits h WHERE h.stix_id IN (SELECT DISTINCT stix_id FROM intel_indicators i WHERE i.source_id = s.id))
		FROM intel_sources s ORDER BY s.name`, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Source{}
	for rows.Next() {
		var src Source
		var poll, ok sql.NullInt64
		var created int64
		if err := rows.Scan(&src.ID, &src.Name, &src.Kind, &src.URL, &src.Collection, &poll, &ok, &src.LastError, &created,
			&src.Indicators, &src.Active, &src.Hits); err != nil {
			return nil, err
		}
		src.CreatedAt = time.UnixMilli(created).UTC()
		src.LastPollAt, src.LastOKAt = nullMS(poll), nullMS(ok)
		out = append(out, src)
	}
	return out, rows.Err()
}

func nullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMilli(v.Int64).UTC()
	return &t
}

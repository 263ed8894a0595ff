package scanning

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/registry"
)

// owner is the system a hostname is registered to.
type owner struct {
	SystemID, AgencyID string
}

// registered reads every registered hostname with its owning system. It is
// the one place that asks the registry for hostnames: when hostnames become
// records with one owning system (and a hostname → system lookup), only
// this function changes. Until then a hostname listed by two systems
// belongs to the one registered first.
func (s *Service) registered(ctx context.Context) (map[string]owner, error) {
	return s.readOwners(ctx, "")
}

// ownerOf is registered for one name: who owns it now (ok false when no
// system lists it).
func (s *Service) ownerOf(ctx context.Context, hostname string) (owner, bool, error) {
	all, err := s.readOwners(ctx, hostname)
	if err != nil {
		return owner{}, false, err
	}
	o, ok := all[hostname]
	return o, ok, nil
}

// readOwners reads the systems (those whose name or hostnames contain
// query, or all) and maps their hostnames to the first system that lists
// each.
func (s *Service) readOwners(ctx context.Context, query string) (map[string]owner, error) {
	var systems []registry.System
	f := registry.SystemFilter{Sort: "-created", Limit: 1000, Query: query}
	for {
		page, err := s.reg.ListSystems(ctx, reader, f)
		if err != nil {
			return nil, fmt.Errorf("read registered systems: %w", err)
		}
		systems = append(systems, page.Items...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	// Oldest first, so the first registration of a name wins.
	sort.SliceStable(systems, func(i, j int) bool {
		if !systems[i].CreatedAt.Equal(systems[j].CreatedAt) {
			return systems[i].CreatedAt.Before(systems[j].CreatedAt)
		}
		return systems[i].ID < systems[j].ID
	})
	out := map[string]owner{}
	for _, sys := range systems {
		for _, h := range sys.Hostnames {
			h = normalName(h)
			if !scannable(h) {
				continue
			}
			if _, taken := out[h]; !taken {
				out[h] = owner{SystemID: sys.ID, AgencyID: sys.AgencyID}
			}
		}
	}
	return out, nil
}

func normalName(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// scannable reports whether a registered hostname can be scanned: a host
// name, not a wildcard or an address.
func scannable(h string) bool {
	return h != "" && !strings.Contains(h, "*") && net.ParseIP(h) == nil && strings.Contains(h, ".")
}

// Sync brings the targets in line with the registry: new hostnames become
// targets due at once, a hostname that moved to another system follows it,
// and one no longer registered stops being scanned. The open scan findings
// of a name that left a system are closed, with the reason. It returns how
// many targets it added, moved and removed.
func (s *Service) Sync(ctx context.Context) (added, moved, removed int, err error) {
	want, err := s.registered(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		added, moved, removed = 0, 0, 0
		have := map[string]owner{}
		rows, err := tx.QueryContext(ctx, `SELECT hostname, system_id, agency_id FROM scan_targets`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var h string
			var o owner
			if err := rows.Scan(&h, &o.SystemID, &o.AgencyID); err != nil {
				rows.Close()
				return err
			}
			have[h] = o
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for h, o := range want {
			old, ok := have[h]
			switch {
			case !ok:
				res, err := tx.ExecContext(ctx, `INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at)
					VALUES ($1,$2,$3,$4,$4) ON CONFLICT (hostname) DO NOTHING`, h, o.SystemID, o.AgencyID, now.UnixMilli())
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					added++
				}
			case old.SystemID != o.SystemID:
				if _, err := tx.ExecContext(ctx, `UPDATE scan_targets SET system_id=$1, agency_id=$2, next_due_at=$3, queued_scan_id=NULL,
					last_result_id=NULL, last_scanned_at=NULL, risk='' WHERE hostname=$4`, o.SystemID, o.AgencyID, now.UnixMilli(), h); err != nil {
					return err
				}
				if err := s.retire(ctx, tx, old.SystemID, h, "the hostname "+h+" moved to another system"); err != nil {
					return err
				}
				moved++
			}
		}
		for h, old := range have {
			if _, ok := want[h]; ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM scan_targets WHERE hostname=$1`, h); err != nil {
				return err
			}
			if err := s.retire(ctx, tx, old.SystemID, h, "the hostname "+h+" is no longer registered to the system"); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	return added, moved, removed, err
}

// ensureTargets makes sure a system's hostnames are targets (before the
// periodic sync sees them), inside tx. Names another system already owns
// are left to it.
func (s *Service) ensureTargets(ctx context.Context, tx *sql.Tx, sys registry.System, hosts []string) error {
	now := s.now().UnixMilli()
	for _, h := range hosts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at)
			VALUES ($1,$2,$3,$4,$4) ON CONFLICT (hostname) DO NOTHING`, h, sys.ID, sys.AgencyID, now); err != nil {
			return err
		}
	}
	return nil
}

// retire closes the open scan findings of a name on a system that no
// longer scans it.
func (s *Service) retire(ctx context.Context, tx *sql.Tx, systemID, hostname, reason string) error {
	rows, err := tx.QueryContext(ctx, `SELECT finding_id FROM scan_findings WHERE system_id=$1 AND hostname=$2`, systemID, hostname)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, _, err := s.find.CloseTx(ctx, tx, scanActor, id, reason); err != nil {
			return err
		}
	}
	return nil
}

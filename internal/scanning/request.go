package scanning

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Request asks for a scan of a system's names now. While a scan of the
// system is queued or running, asking again answers that scan (created
// false) instead of piling up another: one scan of a system at a time is
// the politeness owed to its servers.
func (s *Service) Request(ctx context.Context, a authz.Actor, systemID string) (Scan, bool, error) {
	if err := authz.Check(a, authz.ScanRun, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Scan{}, false, err
	}
	sys, err := s.reg.System(ctx, a, systemID)
	if err != nil {
		return Scan{}, false, err
	}
	if err := authz.Check(a, authz.ScanRun, authz.Record(sys.AgencyID)); err != nil {
		return Scan{}, false, err
	}
	hosts := systemNames(sys)
	if len(hosts) == 0 {
		return Scan{}, false, validate.Errors{{Field: "system_id", Message: "the system has no hostnames to scan"}}
	}
	var scanID string
	created := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		created = false
		// One request of a system at a time (PostgreSQL: wait for the other).
		var lock string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM systems WHERE id = $1`+s.db.Dialect.ForUpdate, sys.ID).Scan(&lock); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM scans WHERE system_id = $1 AND status IN ('queued', 'running')
			ORDER BY created_at, id LIMIT 1`, sys.ID).Scan(&scanID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := s.ensureTargets(ctx, tx, sys, hosts); err != nil {
			return err
		}
		owned, err := ownedNames(ctx, tx, sys.ID, hosts)
		if err != nil {
			return err
		}
		if len(owned) == 0 {
			return validate.Errors{{Field: "system_id", Message: "the system's hostnames are registered to another system"}}
		}
		scanID = id.New()
		now := s.now()
		if err := s.insertScan(ctx, tx, scanID, sys.ID, sys.AgencyID, "on-demand", owned, a.AuditActor(), now); err != nil {
			return err
		}
		// The names wait for this scan, not for another scheduled one.
		for _, h := range owned {
			if _, err := tx.ExecContext(ctx, `UPDATE scan_targets SET queued_scan_id=$1 WHERE hostname=$2 AND system_id=$3 AND queued_scan_id IS NULL`,
				scanID, h, sys.ID); err != nil {
				return err
			}
		}
		created = true
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ScanRequested, Actor: a.AuditActor(), AgencyID: sys.AgencyID,
			TargetType: "scan", TargetID: scanID, After: map[string]any{"system_id": sys.ID, "hostnames": owned, "kind": "on-demand"}})
		return err
	})
	if err != nil {
		return Scan{}, false, err
	}
	if created {
		s.wake()
	}
	d, err := s.Get(ctx, a, scanID)
	return d.Scan, created, err
}

// systemNames are a system's scannable hostnames.
func systemNames(sys registry.System) []string {
	var out []string
	for _, h := range sys.Hostnames {
		if h = normalName(h); scannable(h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// ownedNames keeps the names that are targets of the system.
func ownedNames(ctx context.Context, tx *sql.Tx, systemID string, hosts []string) ([]string, error) {
	var out []string
	for _, h := range hosts {
		var sys string
		err := tx.QueryRowContext(ctx, `SELECT system_id FROM scan_targets WHERE hostname = $1`, h).Scan(&sys)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if sys == systemID {
			out = append(out, h)
		}
	}
	return out, nil
}

// NameStatus is one of a system's names: when it is next due, how risky
// it is, and its latest result.
type NameStatus struct {
	Hostname  string      `json:"hostname"`
	Target    bool        `json:"target"` // a scan target of this system (false: another system owns the name, or not yet synced)
	NextDueAt *time.Time  `json:"next_due_at"`
	Risk      string      `json:"risk"` // worst open scan finding, clean, or "" before the first scan
	Queued    bool        `json:"queued"`
	Latest    *NameResult `json:"latest"`
}

// Names lists a system's names with their latest results, for the
// system's scan page and for readiness (IM8 st-1, ns-6 read the latest
// verdicts).
func (s *Service) Names(ctx context.Context, a authz.Actor, systemID string) ([]NameStatus, error) {
	if err := authz.Check(a, authz.ScanRead, authz.Collection()); err != nil {
		return nil, err
	}
	sys, err := s.reg.System(ctx, a, systemID)
	if errors.Is(err, authz.ErrForbidden) {
		err = authz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ScanRead, authz.Record(sys.AgencyID)); err != nil {
		return nil, err
	}
	out := []NameStatus{}
	for _, h := range systemNames(sys) {
		ns := NameStatus{Hostname: h}
		var owner string
		var due int64
		var queued, last sql.NullString
		err := s.db.R().QueryRowContext(ctx, `SELECT system_id, next_due_at, queued_scan_id, last_result_id, risk FROM scan_targets WHERE hostname = $1`, h).
			Scan(&owner, &due, &queued, &last, &ns.Risk)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, err
		case owner == sys.ID:
			ns.Target, ns.Queued = true, queued.Valid
			t := time.UnixMilli(due).UTC()
			ns.NextDueAt = &t
			if last.Valid {
				r, err := scanResult(s.db.R().QueryRowContext(ctx, `SELECT `+resultCols+resultFrom+` WHERE r.id = $1`, last.String))
				if err != nil {
					return nil, err
				}
				ns.Latest = &r
			}
		default:
			ns.Risk = ""
		}
		out = append(out, ns)
	}
	return out, nil
}

package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Hostnames are records of their own: each name, or wildcard such as
// "*.moh.gov.example" (which covers every name below moh.gov.example, at
// any depth, but not moh.gov.example itself), has exactly one owning
// system. Who owns a hostname decides where a VDP report, an alert or a
// scan result goes, so claims are checked:
//
//   - a name held by another system is refused to everyone on the systems
//     routes (409, naming the holder only to callers who may see it);
//   - a name inside another agency's wildcard, or a wildcard covering
//     another agency's names, is refused unless the caller holds
//     authz.HostnameAssign for both agencies (central: wog-admin);
//   - a central administrator decides disputes with AssignHostname, which
//     gives a name to a system whoever holds it (audited).

// Hostname is one hostname record.
type Hostname struct {
	Name      string    `json:"name"`
	Wildcard  bool      `json:"wildcard"`
	SystemID  string    `json:"system_id"`
	System    string    `json:"system"`
	AgencyID  string    `json:"agency_id"`
	Agency    string    `json:"agency"`
	CreatedAt time.Time `json:"created_at"`
}

// NormalizeHostname is the stored form of a hostname or wildcard: trimmed,
// lower case, without a trailing dot.
func NormalizeHostname(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// hostnameProblem says what is wrong with a normalised hostname or
// wildcard, or "" when it is fine. A wildcard is "*." and a name of at
// least two labels: "*.example" would claim a whole top-level domain.
func hostnameProblem(h string) string {
	base, wild := strings.CutPrefix(h, "*.")
	switch {
	case !validate.Hostname(base) || strings.Contains(base, "*"):
		return fmt.Sprintf("%q is not a hostname (a wildcard is *. and a name, such as *.moh.gov.example)", h)
	case wild && !strings.Contains(base, "."):
		return fmt.Sprintf("%q is too wide: a wildcard needs at least two labels after *.", h)
	}
	return ""
}

// wildcardsOver lists the wildcards that would cover h, closest first:
// for "a.b.c.d", "*.b.c.d", "*.c.d" and "*.d"; for "*.b.c.d", "*.c.d" and
// "*.d".
func wildcardsOver(h string) []string {
	h = strings.TrimPrefix(h, "*.")
	var out []string
	for {
		i := strings.IndexByte(h, '.')
		if i < 0 || len(out) >= 127 {
			return out
		}
		h = h[i+1:]
		out = append(out, "*."+h)
	}
}

// claim records that sys holds the names added (at the positions given),
// inside tx, refusing claims the caller may not make. Callers hold the
// hostname lock.
func (r *Registry) claim(ctx context.Context, tx *sql.Tx, a authz.Actor, sys System, added []string, now time.Time) error {
	for _, h := range added {
		if err := r.checkClaim(ctx, tx, a, sys, h); err != nil {
			return err
		}
		pos := indexOf(sys.Hostnames, h)
		_, err := tx.ExecContext(ctx, `INSERT INTO hostnames (name, system_id, position, created_at) VALUES ($1,$2,$3,$4)`,
			h, sys.ID, pos, now.UnixMilli())
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: hostname %s is held by another system", validate.ErrConflict, h)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// holder is the system that holds a hostname.
type holder struct{ name, systemID, system, agencyID string }

func (r *Registry) checkClaim(ctx context.Context, tx *sql.Tx, a authz.Actor, sys System, h string) error {
	var cur holder
	err := tx.QueryRowContext(ctx, `SELECT h.name, h.system_id, s.name, s.agency_id FROM hostnames h JOIN systems s ON s.id = h.system_id
		WHERE h.name = $1`, h).Scan(&cur.name, &cur.systemID, &cur.system, &cur.agencyID)
	switch {
	case err == nil && cur.systemID != sys.ID:
		if authz.Allowed(a, authz.SystemRead, authz.Record(cur.agencyID)) {
			return fmt.Errorf("%w: hostname %s is held by system %q; remove it there first, or have a platform administrator move it (PUT /api/v1/hostnames/NAME)",
				validate.ErrConflict, h, cur.system)
		}
		return fmt.Errorf("%w: hostname %s is held by another agency's system; a platform administrator can move it", validate.ErrConflict, h)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	// Overlaps with other agencies' names: the caller's own agency may
	// nest names and wildcards freely (the exact name, then the closest
	// wildcard, wins the lookup); across agencies it is a central decision.
	if over := wildcardsOver(h); len(over) > 0 {
		var w store.Where
		w.In("h.name", over)
		w.And("s.agency_id <> " + w.Arg(sys.AgencyID))
		found, err := holders(ctx, tx, &w)
		if err != nil {
			return err
		}
		for _, x := range found {
			if !authz.Allowed(a, authz.HostnameAssign, authz.Record(x.agencyID, sys.AgencyID)) {
				return fmt.Errorf("%w: hostname %s is inside wildcard %s, which another agency's system holds; a platform administrator can decide",
					validate.ErrConflict, h, x.name)
			}
		}
	}
	if base, wild := strings.CutPrefix(h, "*."); wild {
		var w store.Where
		w.And("h.name LIKE " + w.Arg("%."+store.LikeEscape(base)) + ` ESCAPE '\'`)
		w.And("s.agency_id <> " + w.Arg(sys.AgencyID))
		found, err := holders(ctx, tx, &w)
		if err != nil {
			return err
		}
		for _, x := range found {
			if !authz.Allowed(a, authz.HostnameAssign, authz.Record(x.agencyID, sys.AgencyID)) {
				return fmt.Errorf("%w: wildcard %s covers %s, which another agency's system holds; a platform administrator can decide",
					validate.ErrConflict, h, x.name)
			}
		}
	}
	return nil
}

// holders lists the hostnames (with their systems' agencies) that w
// selects, by name.
func holders(ctx context.Context, tx *sql.Tx, w *store.Where) ([]holder, error) {
	rows, err := tx.QueryContext(ctx, `SELECT h.name, s.agency_id FROM hostnames h JOIN systems s ON s.id = h.system_id`+w.SQL()+
		` ORDER BY h.name`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, func(sc store.Scanner) (holder, error) {
		var x holder
		return x, sc.Scan(&x.name, &x.agencyID)
	})
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return len(list)
}

// lockHostnames serialises changes of hostnames, so that two claims that
// overlap (a wildcard and a name under it) cannot both pass their checks.
func (r *Registry) lockHostnames(ctx context.Context, tx *sql.Tx) error {
	return r.db.LockTx(ctx, tx, "kubu-hostnames")
}

// AssignHostname gives a hostname (or wildcard) to a system, whoever holds
// it now: the central decision on a disputed name. It is audited as
// moved (with the system that lost it) or assigned.
func (r *Registry) AssignHostname(ctx context.Context, a authz.Actor, name, systemID string) (Hostname, error) {
	if err := authz.Check(a, authz.HostnameAssign, authz.Collection()); err != nil {
		return Hostname{}, err
	}
	name = NormalizeHostname(name)
	if p := hostnameProblem(name); p != "" {
		return Hostname{}, validate.Errors{{Field: "name", Message: p}}
	}
	sys, err := r.System(ctx, a, systemID)
	if errors.Is(err, authz.ErrNotFound) {
		return Hostname{}, validate.Errors{{Field: "system_id", Message: "no such system"}}
	}
	if err != nil {
		return Hostname{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	out := Hostname{Name: name, Wildcard: strings.HasPrefix(name, "*."), SystemID: sys.ID, System: sys.Name, AgencyID: sys.AgencyID,
		Agency: sys.Agency, CreatedAt: now}
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := r.lockHostnames(ctx, tx); err != nil {
			return err
		}
		var prev holder
		err := tx.QueryRowContext(ctx, `SELECT h.system_id, s.name, s.agency_id FROM hostnames h JOIN systems s ON s.id = h.system_id
			WHERE h.name = $1`, name).Scan(&prev.systemID, &prev.system, &prev.agencyID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if prev.systemID == sys.ID {
			return nil
		}
		if err := authz.Check(a, authz.HostnameAssign, authz.Record(sys.AgencyID, prev.agencyID)); err != nil {
			return err
		}
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position) + 1, 0) FROM hostnames WHERE system_id = $1`, sys.ID).Scan(&pos); err != nil {
			return err
		}
		if prev.systemID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE hostnames SET system_id = $1, position = $2, created_at = $3 WHERE name = $4`,
				sys.ID, pos, now.UnixMilli(), name); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO hostnames (name, system_id, position, created_at) VALUES ($1,$2,$3,$4)`,
			name, sys.ID, pos, now.UnixMilli()); err != nil {
			return err
		}
		for _, id := range []string{prev.systemID, sys.ID} {
			if _, err := tx.ExecContext(ctx, `UPDATE systems SET updated_at = $1 WHERE id = $2`, now.UnixMilli(), id); err != nil {
				return err
			}
		}
		after := map[string]string{"hostname": name, "system_id": sys.ID, "system": sys.Name}
		if prev.systemID == "" {
			_, err = r.audit.Append(ctx, tx, audit.Entry{Code: audit.HostnameAssigned, Actor: a.AuditActor(), AgencyID: sys.AgencyID,
				TargetType: "system", TargetID: sys.ID, After: after})
			return err
		}
		before := map[string]string{"hostname": name, "system_id": prev.systemID, "system": prev.system}
		// One entry for each agency: the one that lost the name sees it go.
		for _, e := range []audit.Entry{
			{AgencyID: prev.agencyID, TargetID: prev.systemID},
			{AgencyID: sys.AgencyID, TargetID: sys.ID},
		} {
			if e.AgencyID == sys.AgencyID && e.TargetID != sys.ID {
				continue // both systems in one agency: one entry, on the receiving system
			}
			e.Code, e.Actor, e.TargetType, e.Before, e.After = audit.HostnameMoved, a.AuditActor(), "system", before, after
			if _, err := r.audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Hostname{}, err
	}
	return out, nil
}

// HostnameFilter selects hostname records.
type HostnameFilter struct {
	SystemID string
	Query    string // part of the name, case-insensitively
	Cursor   string
	Limit    int
}

// ListHostnames lists the hostname records of the systems the caller may
// see, by name.
func (r *Registry) ListHostnames(ctx context.Context, a authz.Actor, f HostnameFilter) (store.Page[Hostname], error) {
	sc, err := authz.ScopeFor(a, authz.SystemRead)
	if err != nil {
		return store.Page[Hostname]{}, err
	}
	var w store.Where
	sc.Where(&w, "s.agency_id", "")
	if f.SystemID != "" {
		w.And("h.system_id = " + w.Arg(f.SystemID))
	}
	if q := NormalizeHostname(f.Query); q != "" {
		w.And("h.name LIKE " + w.Arg("%"+store.LikeEscape(q)+"%") + ` ESCAPE '\'`)
	}
	return store.List(ctx, r.db.R(), store.ListQuery[Hostname]{
		SQL: `SELECT h.name, h.system_id, s.name, s.agency_id, a.code, h.created_at FROM hostnames h
			JOIN systems s ON s.id = h.system_id JOIN agencies a ON a.id = s.agency_id`,
		Where: &w, Keyset: store.Keyset{Keys: []string{"h.name"}}, Cursor: f.Cursor, Limit: f.Limit,
		Scan: func(sc store.Scanner) (Hostname, error) {
			var h Hostname
			var at int64
			if err := sc.Scan(&h.Name, &h.SystemID, &h.System, &h.AgencyID, &h.Agency, &at); err != nil {
				return h, err
			}
			h.Wildcard = strings.HasPrefix(h.Name, "*.")
			h.CreatedAt = time.UnixMilli(at).UTC()
			return h, nil
		},
		Key: func(h Hostname) []any { return []any{h.Name} },
	})
}

// HostnameConflict is a claim the upgrade to hostname records dropped: the
// system that listed the name, and the system that kept it.
type HostnameConflict struct {
	Name         string    `json:"name"`
	SystemID     string    `json:"system_id"`
	System       string    `json:"system"`
	Agency       string    `json:"agency"`
	KeptByID     string    `json:"kept_by_system_id"`
	KeptBy       string    `json:"kept_by_system"`
	KeptByAgency string    `json:"kept_by_agency"`
	NotedAt      time.Time `json:"noted_at"`
}

// HostnameConflicts lists what the upgrade to hostname records decided
// (migration …_hostnames.sql): names that several systems listed, each kept by the system
// registered first. It is for the administrators who decide hostnames.
func (r *Registry) HostnameConflicts(ctx context.Context, a authz.Actor) ([]HostnameConflict, error) {
	if err := authz.Check(a, authz.HostnameAssign, authz.Record()); err != nil {
		return nil, err
	}
	rows, err := r.db.R().QueryContext(ctx, `SELECT c.name, c.system_id, s.name, sa.code, c.kept_by, k.name, ka.code, c.noted_at
		FROM hostname_conflicts c JOIN systems s ON s.id = c.system_id JOIN agencies sa ON sa.id = s.agency_id
		JOIN systems k ON k.id = c.kept_by JOIN agencies ka ON ka.id = k.agency_id ORDER BY c.name, c.system_id`)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, func(sc store.Scanner) (HostnameConflict, error) {
		var c HostnameConflict
		var at int64
		err := sc.Scan(&c.Name, &c.SystemID, &c.System, &c.Agency, &c.KeptByID, &c.KeptBy, &c.KeptByAgency, &at)
		c.NotedAt = time.UnixMilli(at).UTC()
		return c, err
	})
}

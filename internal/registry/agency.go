package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Agency is a government agency.
type Agency struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewAgency is the input to CreateAgency.
type NewAgency struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

var codeRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)

// CreateAgency registers an agency.
func (r *Registry) CreateAgency(ctx context.Context, a authz.Actor, in NewAgency) (Agency, error) {
	if err := authz.Check(a, authz.AgencyCreate, authz.Collection()); err != nil {
		return Agency{}, err
	}
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	var v validate.Errors
	if !codeRE.MatchString(in.Code) {
		v.Add("code", "must be 2–16 capital letters, digits or hyphens, starting with a letter")
	}
	v.Required("name", in.Name, 200)
	if err := v.Err(); err != nil {
		return Agency{}, err
	}
	ag := Agency{ID: id.New(), Code: in.Code, Name: in.Name, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, code, name, created_at) VALUES ($1,$2,$3,$4)`,
			ag.ID, ag.Code, ag.Name, ag.CreatedAt.UnixMilli())
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: an agency with code %s exists", validate.ErrConflict, ag.Code)
		}
		if err != nil {
			return err
		}
		_, err = r.audit.Append(ctx, tx, audit.Entry{Code: audit.AgencyCreated, Actor: a.AuditActor(), AgencyID: ag.ID,
			TargetType: "agency", TargetID: ag.ID, After: ag})
		return err
	})
	if err != nil {
		return Agency{}, err
	}
	return ag, nil
}

// UpdateAgency renames an agency (its code is fixed).
func (r *Registry) UpdateAgency(ctx context.Context, a authz.Actor, agencyID, name string) (Agency, error) {
	if err := authz.Check(a, authz.AgencyUpdate, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Agency{}, err
	}
	before, err := r.Agency(ctx, a, agencyID)
	if err != nil {
		return Agency{}, err
	}
	if err := authz.Check(a, authz.AgencyUpdate, authz.Record(before.ID)); err != nil {
		return Agency{}, err
	}
	var v validate.Errors
	v.Required("name", strings.TrimSpace(name), 200)
	if err := v.Err(); err != nil {
		return Agency{}, err
	}
	after := before
	after.Name = strings.TrimSpace(name)
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE agencies SET name = $1 WHERE id = $2`, after.Name, after.ID); err != nil {
			return err
		}
		_, err := r.audit.Append(ctx, tx, audit.Entry{Code: audit.AgencyUpdated, Actor: a.AuditActor(), AgencyID: after.ID,
			TargetType: "agency", TargetID: after.ID, Before: before, After: after})
		return err
	})
	return after, err
}

// Agency returns one agency the caller may see.
func (r *Registry) Agency(ctx context.Context, a authz.Actor, agencyID string) (Agency, error) {
	if err := authz.Check(a, authz.AgencyRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Agency{}, err
	}
	ag, err := scanAgency(r.db.R().QueryRowContext(ctx, `SELECT id, code, name, created_at FROM agencies WHERE id = $1`, agencyID))
	if err != nil {
		return Agency{}, err
	}
	if err := authz.Check(a, authz.AgencyRead, authz.Record(ag.ID)); err != nil {
		return Agency{}, err
	}
	return ag, nil
}

// AgencyByCode returns one agency the caller may see, by its code.
func (r *Registry) AgencyByCode(ctx context.Context, a authz.Actor, code string) (Agency, error) {
	if err := authz.Check(a, authz.AgencyRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Agency{}, err
	}
	ag, err := scanAgency(r.db.R().QueryRowContext(ctx, `SELECT id, code, name, created_at FROM agencies WHERE code = $1`, strings.ToUpper(code)))
	if err != nil {
		return Agency{}, err
	}
	if err := authz.Check(a, authz.AgencyRead, authz.Record(ag.ID)); err != nil {
		return Agency{}, err
	}
	return ag, nil
}

// ListAgencies returns the agencies the caller may see, by code.
func (r *Registry) ListAgencies(ctx context.Context, a authz.Actor) ([]Agency, error) {
	sc, err := authz.ScopeFor(a, authz.AgencyRead)
	if err != nil {
		return nil, err
	}
	var wh store.Where
	sc.Where(&wh, "id", "")
	rows, err := r.db.R().QueryContext(ctx, `SELECT id, code, name, created_at FROM agencies`+wh.SQL()+` ORDER BY code`, wh.Args()...)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, scanAgency)
}

// AgencyPage returns a page of the agencies the caller may see, by code.
func (r *Registry) AgencyPage(ctx context.Context, a authz.Actor, cursor string, limit int) (store.Page[Agency], error) {
	sc, err := authz.ScopeFor(a, authz.AgencyRead)
	if err != nil {
		return store.Page[Agency]{Items: []Agency{}}, err
	}
	var wh store.Where
	sc.Where(&wh, "id", "")
	return store.List(ctx, r.db.R(), store.ListQuery[Agency]{
		SQL: `SELECT id, code, name, created_at FROM agencies`, Where: &wh, Keyset: store.Keyset{Keys: []string{"code"}},
		Cursor: cursor, Limit: limit, Scan: scanAgency, Key: func(ag Agency) []any { return []any{ag.Code} }})
}

// AgencyCodes maps agency ids to codes for display, for agencies the
// caller may see.
func (r *Registry) AgencyCodes(ctx context.Context, a authz.Actor) (map[string]string, error) {
	ags, err := r.ListAgencies(ctx, a)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(ags))
	for _, ag := range ags {
		m[ag.ID] = ag.Code
	}
	return m, nil
}

func scanAgency(s store.Scanner) (Agency, error) {
	var ag Agency
	var at int64
	err := s.Scan(&ag.ID, &ag.Code, &ag.Name, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Agency{}, authz.ErrNotFound
	}
	if err != nil {
		return Agency{}, err
	}
	ag.CreatedAt = time.UnixMilli(at).UTC()
	return ag, nil
}

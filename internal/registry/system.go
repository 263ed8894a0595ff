package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// System is a government system: a website, app, API, device fleet, host or
// cloud estate that an agency owns.
type System struct {
	ID                 string    `json:"id"`
	AgencyID           string    `json:"agency_id"`
	Agency             string    `json:"agency"` // the agency's code
	Name               string    `json:"name"`
	Description        string    `json:"description"`
	Hostnames          []string  `json:"hostnames"`
	AssetType          string    `json:"asset_type"`
	Criticality        string    `json:"criticality"`
	InternetFacing     bool      `json:"internet_facing"`
	OwnerContacts      []Contact `json:"owner_contacts"`
	DataClassification string    `json:"data_classification"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// Contact is someone responsible for a system.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role,omitempty"`
}

// SystemInput is what a caller sets on a system. Pointers distinguish
// "not given" (keep; or the default on create) from a value.
type SystemInput struct {
	Agency             string     `json:"agency"` // agency code; create only
	Name               *string    `json:"name"`
	Description        *string    `json:"description"`
	Hostnames          *[]string  `json:"hostnames"`
	AssetType          *string    `json:"asset_type"`
	Criticality        *string    `json:"criticality"`
	InternetFacing     *bool      `json:"internet_facing"`
	OwnerContacts      *[]Contact `json:"owner_contacts"`
	DataClassification *string    `json:"data_classification"`
}

func (in SystemInput) apply(s *System) {
	if in.Name != nil {
		s.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		s.Description = *in.Description
	}
	if in.Hostnames != nil {
		s.Hostnames = nil
		for _, h := range *in.Hostnames {
			h = strings.ToLower(strings.TrimSpace(h))
			if h != "" && !slices.Contains(s.Hostnames, h) {
				s.Hostnames = append(s.Hostnames, h)
			}
		}
	}
	if in.AssetType != nil {
		s.AssetType = *in.AssetType
	}
	if in.Criticality != nil {
		s.Criticality = *in.Criticality
	}
	if in.InternetFacing != nil {
		s.InternetFacing = *in.InternetFacing
	}
	if in.OwnerContacts != nil {
		s.OwnerContacts = *in.OwnerContacts
	}
	if in.DataClassification != nil {
		s.DataClassification = *in.DataClassification
	}
	if s.Hostnames == nil {
		s.Hostnames = []string{}
	}
	if s.OwnerContacts == nil {
		s.OwnerContacts = []Contact{}
	}
}

func (s *System) validate() error {
	var v validate.Errors
	v.Required("name", s.Name, 200)
	v.MaxLen("description", s.Description, 20000)
	if len(s.Hostnames) > 100 {
		v.Add("hostnames", "at most 100 hostnames")
	}
	for _, h := range s.Hostnames {
		if !validate.Hostname(h) {
			v.Add("hostnames", "%q is not a hostname", h)
		}
	}
	v.OneOf("asset_type", s.AssetType, AssetTypes)
	v.OneOf("criticality", s.Criticality, Criticalities)
	v.OneOf("data_classification", s.DataClassification, Classifications)
	if len(s.OwnerContacts) > 20 {
		v.Add("owner_contacts", "at most 20 contacts")
	}
	for i, c := range s.OwnerContacts {
		f := "owner_contacts[" + strconv.Itoa(i) + "]"
		v.MaxLen(f+".name", c.Name, 200)
		v.Email(f+".email", c.Email)
		v.MaxLen(f+".role", c.Role, 100)
	}
	return v.Err()
}

// CreateSystem registers a system in an agency.
func (r *Registry) CreateSystem(ctx context.Context, a authz.Actor, in SystemInput) (System, error) {
	if !a.Authenticated() {
		return System{}, authz.ErrUnauthenticated
	}
	ag, err := r.AgencyByCode(ctx, a, strings.TrimSpace(in.Agency))
	if errors.Is(err, authz.ErrNotFound) {
		return System{}, validate.Errors{{Field: "agency", Message: "no such agency"}}
	}
	if err != nil {
		return System{}, err
	}
	if err := authz.Check(a, authz.SystemCreate, authz.Record(ag.ID)); err != nil {
		return System{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	s := System{ID: id.New(), AgencyID: ag.ID, Agency: ag.Code, AssetType: "web", Criticality: "medium",
		DataClassification: "official-closed", CreatedAt: now, UpdatedAt: now}
	in.apply(&s)
	if err := s.validate(); err != nil {
		return System{}, err
	}
	hosts, _ := json.Marshal(s.Hostnames)
	contacts, _ := json.Marshal(s.OwnerContacts)
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO systems (id, agency_id, name, description, hostnames, asset_type, criticality,
			internet_facing, owner_contacts, data_classification, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11)`,
			s.ID, s.AgencyID, s.Name, s.Description, string(hosts), s.AssetType, s.Criticality, s.InternetFacing, string(contacts),
			s.DataClassification, now.UnixMilli())
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s already has a system named %q", validate.ErrConflict, ag.Code, s.Name)
		}
		if err != nil {
			return err
		}
		_, err = r.audit.Append(ctx, tx, audit.Entry{Code: audit.SystemCreated, Actor: a.AuditActor(), AgencyID: s.AgencyID,
			TargetType: "system", TargetID: s.ID, After: s})
		return err
	})
	if err != nil {
		return System{}, err
	}
	return s, nil
}

// UpdateSystem changes the given fields of a system.
func (r *Registry) UpdateSystem(ctx context.Context, a authz.Actor, systemID string, in SystemInput) (System, error) {
	if err := authz.Check(a, authz.SystemUpdate, authz.Collection()); err != nil { // no grant: refused before any lookup
		return System{}, err
	}
	before, err := r.System(ctx, a, systemID)
	if err != nil {
		return System{}, err
	}
	if err := authz.Check(a, authz.SystemUpdate, authz.Record(before.AgencyID)); err != nil {
		return System{}, err
	}
	if in.Agency != "" && !strings.EqualFold(in.Agency, before.Agency) {
		return System{}, validate.Errors{{Field: "agency", Message: "a system cannot move to another agency"}}
	}
	after := before
	after.Hostnames = slices.Clone(before.Hostnames)
	after.OwnerContacts = slices.Clone(before.OwnerContacts)
	in.apply(&after)
	if err := after.validate(); err != nil {
		return System{}, err
	}
	after.UpdatedAt = time.Now().UTC().Truncate(time.Millisecond)
	hosts, _ := json.Marshal(after.Hostnames)
	contacts, _ := json.Marshal(after.OwnerContacts)
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE systems SET name=$1, description=$2, hostnames=$3, asset_type=$4, criticality=$5,
			internet_facing=$6, owner_contacts=$7, data_classification=$8, updated_at=$9 WHERE id=$10`,
			after.Name, after.Description, string(hosts), after.AssetType, after.Criticality, after.InternetFacing,
			string(contacts), after.DataClassification, after.UpdatedAt.UnixMilli(), after.ID)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s already has a system named %q", validate.ErrConflict, after.Agency, after.Name)
		}
		if err != nil {
			return err
		}
		_, err = r.audit.Append(ctx, tx, audit.Entry{Code: audit.SystemUpdated, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "system", TargetID: after.ID, Before: before, After: after})
		return err
	})
	if err != nil {
		return System{}, err
	}
	return after, nil
}

const systemCols = `s.id, s.agency_id, a.code, s.name, s.description, s.hostnames, s.asset_type, s.criticality,
	s.internet_facing, s.owner_contacts, s.data_classification, s.created_at, s.updated_at`

// System returns one system the caller may see.
func (r *Registry) System(ctx context.Context, a authz.Actor, systemID string) (System, error) {
	if err := authz.Check(a, authz.SystemRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return System{}, err
	}
	s, err := scanSystem(r.db.R().QueryRowContext(ctx, `SELECT `+systemCols+` FROM systems s JOIN agencies a ON a.id = s.agency_id WHERE s.id = $1`, systemID))
	if err != nil {
		return System{}, err
	}
	if err := authz.Check(a, authz.SystemRead, authz.Record(s.AgencyID)); err != nil {
		return System{}, err
	}
	return s, nil
}

// LookupSystem returns a system for a trusted internal caller, without an
// access check: e.g. to file a report against the system its reporter
// names. Never answer a caller with what it returns unless the caller may
// see it.
func (r *Registry) LookupSystem(ctx context.Context, systemID string) (System, error) {
	return scanSystem(r.db.R().QueryRowContext(ctx, `SELECT `+systemCols+` FROM systems s JOIN agencies a ON a.id = s.agency_id WHERE s.id = $1`, systemID))
}

// SystemFilter selects systems.
type SystemFilter struct {
	AgencyID    string
	Query       string // matches name or hostname, case-insensitively
	AssetType   string
	Criticality string
	Sort        string // "name" (default) or "-created"
	Cursor      string
	Limit       int
}

type systemCursor struct {
	K string `json:"k"`
	N int64  `json:"n,omitempty"`
	I string `json:"i"`
}

// ListSystems returns a page of the systems the caller may see.
func (r *Registry) ListSystems(ctx context.Context, a authz.Actor, f SystemFilter) (store.Page[System], error) {
	page := store.Page[System]{Items: []System{}}
	sc, err := authz.ScopeFor(a, authz.SystemRead)
	if err != nil {
		return page, err
	}
	var wh store.Where
	sc.Where(&wh, "s.agency_id", "")
	if f.AgencyID != "" {
		wh.And("s.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.AssetType != "" {
		wh.And("s.asset_type = " + wh.Arg(f.AssetType))
	}
	if f.Criticality != "" {
		wh.And("s.criticality = " + wh.Arg(f.Criticality))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		p := "%" + store.LikeEscape(strings.ToLower(q)) + "%"
		wh.And("(LOWER(s.name) LIKE " + wh.Arg(p) + ` ESCAPE '\' OR LOWER(s.hostnames) LIKE ` + wh.Arg(p) + ` ESCAPE '\')`)
	}
	order := "s.name, s.id"
	if f.Sort == "-created" {
		order = "s.created_at DESC, s.id DESC"
	}
	if f.Cursor != "" {
		var c systemCursor
		if err := store.DecodeCursor(f.Cursor, &c); err != nil {
			return page, err
		}
		if f.Sort == "-created" {
			wh.And("(s.created_at < " + wh.Arg(c.N) + " OR (s.created_at = " + wh.Arg(c.N) + " AND s.id < " + wh.Arg(c.I) + "))")
		} else {
			wh.And("(s.name > " + wh.Arg(c.K) + " OR (s.name = " + wh.Arg(c.K) + " AND s.id > " + wh.Arg(c.I) + "))")
		}
	}
	limit := store.Limit(f.Limit)
	q := `SELECT ` + systemCols + ` FROM systems s JOIN agencies a ON a.id = s.agency_id`
	q += wh.SQL()
	q += " ORDER BY " + order + " LIMIT " + wh.Arg(limit+1)
	rows, err := r.db.R().QueryContext(ctx, q, wh.Args()...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanSystem(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, s)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = store.EncodeCursor(systemCursor{K: last.Name, N: last.CreatedAt.UnixMilli(), I: last.ID})
	}
	return page, nil
}

// CountSystems counts the systems the caller may see, optionally in one agency.
func (r *Registry) CountSystems(ctx context.Context, a authz.Actor, agencyID string) (int, error) {
	sc, err := authz.ScopeFor(a, authz.SystemRead)
	if err != nil {
		return 0, err
	}
	var wh store.Where
	sc.Where(&wh, "agency_id", "")
	if agencyID != "" {
		wh.And("agency_id = " + wh.Arg(agencyID))
	}
	var n int
	err = r.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM systems`+wh.SQL(), wh.Args()...).Scan(&n)
	return n, err
}

func scanSystem(s scanner) (System, error) {
	var sys System
	var hosts, contacts string
	var created, updated int64
	err := s.Scan(&sys.ID, &sys.AgencyID, &sys.Agency, &sys.Name, &sys.Description, &hosts, &sys.AssetType, &sys.Criticality,
		&sys.InternetFacing, &contacts, &sys.DataClassification, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return System{}, authz.ErrNotFound
	}
	if err != nil {
		return System{}, err
	}
	if err := json.Unmarshal([]byte(hosts), &sys.Hostnames); err != nil {
		return System{}, fmt.Errorf("system %s hostnames: %w", sys.ID, err)
	}
	if err := json.Unmarshal([]byte(contacts), &sys.OwnerContacts); err != nil {
		return System{}, fmt.Errorf("system %s contacts: %w", sys.ID, err)
	}
	sys.CreatedAt = time.UnixMilli(created).UTC()
	sys.UpdatedAt = time.UnixMilli(updated).UTC()
	return sys, nil
}

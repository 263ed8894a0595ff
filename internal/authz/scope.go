package authz

import (
	"slices"

	"github.com/kubu-gov/kubu/internal/store"
)

// Scope says which records of a collection an actor may see with an action.
// At most one of its fields is set; the zero Scope admits nothing.
type Scope struct {
	All      bool   // every record
	AgencyID string // records among whose agencies this one is
	OwnerID  string // records owned by this user
}

// ScopeOf returns the part of a collection that a may reach with act (the
// zero Scope when a holds no grant for it).
func ScopeOf(a Actor, act Action) Scope {
	p, ok := policies[act]
	if !ok {
		return Scope{}
	}
	return p.scope(a)
}

// ScopeFor is ScopeOf for a list: it also returns the error Check gives for
// the collection (ErrUnauthenticated, or ErrForbidden when a holds no grant).
func ScopeFor(a Actor, act Action) (Scope, error) {
	if err := Check(a, act, Collection()); err != nil {
		return Scope{}, err
	}
	return ScopeOf(a, act), nil
}

// None reports whether the scope admits nothing.
func (s Scope) None() bool { return !s.All && s.AgencyID == "" && s.OwnerID == "" }

// Admits reports whether r is in scope: every scope but None admits the
// collection; a record is admitted by an agency scope when the agency is
// among its agencies, by an owner scope when the user owns it.
func (s Scope) Admits(r Resource) bool {
	switch {
	case s.None():
		return false
	case r.collection || s.All:
		return true
	case s.AgencyID != "":
		return slices.Contains(r.agencies, s.AgencyID)
	case s.OwnerID != "":
		return r.owner == s.OwnerID
	}
	return false
}

// AdmitsAny reports whether a record of the given agencies is in an agency
// scope (or the scope is All). It is for records that belong to several
// agencies, such as incidents.
func (s Scope) AdmitsAny(agencyIDs ...string) bool {
	return s.All || s.AgencyID != "" && slices.Contains(agencyIDs, s.AgencyID)
}

// Where narrows a list query to the scope. agencyCol is the column holding
// a record's agency and ownerCol the one holding its owning user (either may
// be "" when the records have none). A scope the columns cannot express
// adds a condition no row meets, so nothing outside the scope is listed.
func (s Scope) Where(w *store.Where, agencyCol, ownerCol string) {
	switch {
	case s.All:
	case s.AgencyID != "" && agencyCol != "":
		w.And(agencyCol + " = " + w.Arg(s.AgencyID))
	case s.OwnerID != "" && ownerCol != "":
		w.And(ownerCol + " = " + w.Arg(s.OwnerID))
	default:
		w.And("1 = 0")
	}
}

// WhereAgencies narrows a list of records that belong to several agencies
// (held in a link table) to the scope. member returns the SQL condition
// "this row's record belongs to the agency at placeholder ph", e.g.
//
//	sc.WhereAgencies(&w, func(ph string) string {
//		return "EXISTS (SELECT 1 FROM incident_agencies ia WHERE ia.incident_id = i.id AND ia.agency_id = " + ph + ")"
//	})
func (s Scope) WhereAgencies(w *store.Where, member func(ph string) string) {
	switch {
	case s.All:
	case s.AgencyID != "":
		w.And(member(w.Arg(s.AgencyID)))
	default:
		w.And("1 = 0")
	}
}

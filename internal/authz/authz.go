// Package authz is kubu's one access check. Every route and every domain
// operation asks Check (or Scope, for lists); nothing else decides who may
// see or do what.
//
// A record the caller may not see answers ErrNotFound, exactly like a
// missing one, so that ids cannot be probed. A record the caller may see but
// not change answers ErrForbidden.
package authz

import (
	"errors"
	"slices"

	"github.com/kubu-gov/kubu/internal/audit"
)

// Role is one of the roles of the contract.
type Role string

// The roles.
const (
	WogAdmin     Role = "wog-admin"     // runs the platform
	Analyst      Role = "analyst"       // central 24/7 operations, all agencies
	Triager      Role = "triager"       // central programme triage, all agencies
	AgencyAdmin  Role = "agency-admin"  // their own agency only
	AgencyMember Role = "agency-member" // their own agency only
	Researcher   Role = "researcher"    // outside reporter; own reports only
)

// Roles lists every role.
func Roles() []Role {
	return []Role{WogAdmin, Analyst, Triager, AgencyAdmin, AgencyMember, Researcher}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// AgencyBound reports whether users of the role belong to one agency.
func (r Role) AgencyBound() bool { return r == AgencyAdmin || r == AgencyMember }

// Staff reports whether the role is government staff (TOTP is required for
// staff when the setting is on).
func (r Role) Staff() bool { return r != Researcher && r != "" }

// Actor is who is asking. The zero Actor is anonymous.
type Actor struct {
	UserID   string
	Email    string
	Role     Role
	AgencyID string // set for agency-bound roles
}

// Anonymous is the caller with no credentials.
var Anonymous = Actor{}

// Authenticated reports whether the actor signed in.
func (a Actor) Authenticated() bool { return a.UserID != "" }

// AuditActor is how the actor appears in the audit log.
func (a Actor) AuditActor() audit.Actor {
	if !a.Authenticated() {
		return audit.Actor{ID: "anonymous", Label: "anonymous"}
	}
	return audit.Actor{ID: a.UserID, Label: a.Email}
}

// Resource is what an action is on. The zero Resource stands for the
// collection (e.g. "list systems", "create a system" before an agency is
// known).
type Resource struct {
	AgencyID string // the agency the record belongs to ("" = platform-wide)
	OwnerID  string // the user who owns the record, where that matters
}

// Errors Check returns.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
)

// Check decides whether a may do act on r. It returns nil, or
// ErrUnauthenticated, ErrNotFound (a may not even see r) or ErrForbidden.
func Check(a Actor, act Action, r Resource) error {
	p, ok := policies[act]
	if !ok {
		return ErrForbidden // an action without a policy is denied
	}
	if p.public {
		return nil
	}
	if !a.Authenticated() {
		return ErrUnauthenticated
	}
	if p.allows(a, r) {
		return nil
	}
	if p.see != "" && p.see != act {
		if Check(a, p.see, r) == nil {
			return ErrForbidden
		}
	}
	return ErrNotFound
}

// Scope says which records of a collection a may see with act.
type Scope struct {
	All      bool   // every agency
	AgencyID string // only this agency (when All is false)
	OwnerID  string // only records owned by this user (when All is false and AgencyID is "")
}

// None reports whether the scope admits nothing.
func (s Scope) None() bool { return !s.All && s.AgencyID == "" && s.OwnerID == "" }

// Admits reports whether a record of agency (and owner) is in scope.
func (s Scope) Admits(agencyID, ownerID string) bool {
	switch {
	case s.All:
		return true
	case s.AgencyID != "":
		return s.AgencyID == agencyID
	case s.OwnerID != "":
		return s.OwnerID == ownerID
	}
	return false
}

// ScopeOf returns the part of a collection that a may see with act.
func ScopeOf(a Actor, act Action) Scope {
	p, ok := policies[act]
	if !ok || !a.Authenticated() && !p.public {
		return Scope{}
	}
	if p.public || slices.Contains(p.global, a.Role) {
		return Scope{All: true}
	}
	if slices.Contains(p.own, a.Role) && a.AgencyID != "" {
		return Scope{AgencyID: a.AgencyID}
	}
	if slices.Contains(p.owner, a.Role) {
		return Scope{OwnerID: a.UserID}
	}
	return Scope{}
}

// policy says who may do an action.
type policy struct {
	public        bool   // anyone, even anonymous
	authenticated bool   // any signed-in user, whatever the resource
	global        []Role // on any resource
	own           []Role // only on resources of their own agency
	owner         []Role // only on resources they own
	see           Action // the action that governs visibility (for 404 vs 403)
}

func (p policy) allows(a Actor, r Resource) bool {
	if p.authenticated || slices.Contains(p.global, a.Role) {
		return true
	}
	if slices.Contains(p.own, a.Role) && a.AgencyID != "" && (r.AgencyID == "" || r.AgencyID == a.AgencyID) {
		return true
	}
	if slices.Contains(p.owner, a.Role) && (r.OwnerID == "" || r.OwnerID == a.UserID) {
		return true
	}
	return false
}

// Package authz is kubu's one access check. Every route and every domain
// operation asks Check (or ScopeFor, for lists); nothing else decides who
// may see or do what. All policies are in one table (policies.go), written
// with named role groups; no other package tests a role.
//
// What is asked is explicit: Collection() (list, or create before a record
// exists), Record(agencyIDs...) (a record of one or several agencies, or of
// none: a platform record) or OwnedBy(userID, agencyIDs...) (a record with
// an owning user). The answers:
//
//   - nil: allowed;
//   - ErrUnauthenticated: the caller must sign in;
//   - ErrForbidden: the caller's role holds no grant at all for the action
//     (the same answer for the collection and for every record, so it tells
//     nothing about any record), or the caller may see the record but not do
//     this to it;
//   - ErrNotFound: the record is outside the caller's scope, the same answer
//     as for a missing record, so that ids cannot be probed.
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

// AgencyBound reports whether users of the role belong to one agency (an
// account's shape, not a permission).
func (r Role) AgencyBound() bool { return slices.Contains(agencyRoles, r) }

// Staff reports whether the role is government staff (TOTP is required for
// staff when the setting is on; an authentication rule, not a permission).
func (r Role) Staff() bool { return slices.Contains(staff, r) }

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

// Errors Check returns.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
)

// Check decides whether a may do act on r. It returns nil, or
// ErrUnauthenticated, ErrForbidden (no grant for act at all, or r is seen
// but act is not allowed on it) or ErrNotFound (r is outside a's scope).
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
	sc := p.scope(a)
	if sc.None() {
		return ErrForbidden
	}
	if sc.Admits(r) {
		return nil
	}
	if p.see != "" && p.see != act && Check(a, p.see, r) == nil {
		return ErrForbidden
	}
	return ErrNotFound
}

// Allowed reports whether Check(a, act, r) passes.
func Allowed(a Actor, act Action, r Resource) bool { return Check(a, act, r) == nil }

// scope is the part of every collection the policy gives a.
func (p policy) scope(a Actor) Scope {
	switch {
	case p.public:
		return Scope{All: true}
	case !a.Authenticated():
		return Scope{}
	case p.authenticated || slices.Contains(p.global, a.Role):
		return Scope{All: true}
	case slices.Contains(p.own, a.Role):
		return Scope{AgencyID: a.AgencyID} // none when an agency role has no agency
	case slices.Contains(p.owner, a.Role):
		return Scope{OwnerID: a.UserID}
	}
	return Scope{}
}

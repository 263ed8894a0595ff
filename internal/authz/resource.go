package authz

import (
	"slices"
	"strings"
)

// Resource is what an action is asked about: the collection, or one record
// with the agencies it belongs to and the user who owns it. Make one with
// Collection, Record or OwnedBy. The zero Resource is Record(): a platform
// record, which no agency or owner grant ever passes.
type Resource struct {
	collection bool
	agencies   []string // the record's agencies; none for a platform record
	owner      string   // the record's owning user, if any
}

// Collection is a whole collection: listing it, or creating a record before
// it exists. It passes for every role that holds any grant for the action;
// what may be listed comes from ScopeFor.
func Collection() Resource { return Resource{collection: true} }

// Record is a record owned by the given agencies (an incident spans several).
// With no agency it is a platform record, which passes only for roles that
// hold the action on every record. Empty ids are ignored.
func Record(agencyIDs ...string) Resource {
	return Resource{agencies: compact(agencyIDs)}
}

// OwnedBy is a record with an owning user (e.g. a researcher's report) and
// the agencies it belongs to. An owner grant passes only when the owner is
// the caller; an empty userID never passes one.
func OwnedBy(userID string, agencyIDs ...string) Resource {
	return Resource{agencies: compact(agencyIDs), owner: userID}
}

// IsCollection reports whether r is a collection.
func (r Resource) IsCollection() bool { return r.collection }

// Agencies returns the record's agencies.
func (r Resource) Agencies() []string { return slices.Clone(r.agencies) }

// Owner returns the record's owning user ("" when none).
func (r Resource) Owner() string { return r.owner }

// String describes r for messages and the golden table.
func (r Resource) String() string {
	if r.collection {
		return "collection"
	}
	s := "record"
	if len(r.agencies) > 0 {
		s += " of " + strings.Join(r.agencies, "+")
	} else {
		s += " of the platform"
	}
	if r.owner != "" {
		s += " owned by " + r.owner
	}
	return s
}

func compact(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

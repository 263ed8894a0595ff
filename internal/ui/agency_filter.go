package ui

import (
	"context"
	"errors"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
)

// agencyFilter resolves a list page's agency filter. offer is the agencies
// to offer in the filter (only for callers who see every agency under act);
// agencyID is the id to filter on. A code that names no agency the caller
// may see gives unknown=true: the list is empty, exactly as for a missing
// agency.
func agencyFilter(ctx context.Context, reg *registry.Registry, a authz.Actor, act authz.Action, code string) (offer []registry.Agency, agencyID string, unknown bool, err error) {
	if authz.ScopeOf(a, act).All {
		if offer, err = reg.ListAgencies(ctx, a); err != nil {
			return nil, "", false, err
		}
	}
	if code == "" {
		return offer, "", false, nil
	}
	ag, err := reg.AgencyByCode(ctx, a, code)
	if errors.Is(err, authz.ErrNotFound) {
		return offer, "", true, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	return offer, ag.ID, false, nil
}

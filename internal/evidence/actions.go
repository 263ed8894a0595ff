package evidence

import (
	"github.com/kubu-gov/kubu/internal/authz"
)

var (
	central  = []authz.Role{authz.WogAdmin, authz.Analyst}
	agencies = []authz.Role{authz.AgencyAdmin, authz.AgencyMember}
)

// Actions on evidence. The resource is always the incident's agencies:
// central operations see every incident's evidence, agency roles the
// evidence of incidents their agency is on (contract §6).
var (
	ActRead    = authz.Register("evidence.read", central, agencies, nil, "")
	ActAdd     = authz.Register("evidence.add", central, agencies, nil, "evidence.read")
	ActCustody = authz.Register("evidence.custody", central, agencies, nil, "evidence.read")
	ActExport  = authz.Register("evidence.bundle", central, agencies, nil, "evidence.read")
)

// check is the evidence service's one access decision: may a do act on a
// record of an incident belonging to agencyIDs? Allowed when the action is
// allowed on any of them. An incident always has an agency; should one have
// none, only the central roles pass (never "no agency means everyone").
func check(a authz.Actor, act authz.Action, agencyIDs []string) error {
	if len(agencyIDs) == 0 {
		agencyIDs = []string{"\x00no-agency"}
	}
	err := authz.ErrNotFound
	for _, ag := range agencyIDs {
		e := authz.Check(a, act, authz.Resource{AgencyID: ag})
		if e == nil {
			return nil
		}
		if err == authz.ErrNotFound {
			err = e // a more telling answer (unauthenticated, forbidden)
		}
	}
	return err
}

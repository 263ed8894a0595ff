package evidence

import "github.com/kubu-gov/kubu/internal/authz"

// Actions on evidence (their policies are in authz's one table). The
// resource is always the incident's agencies: central operations see every
// incident's evidence, agency roles the evidence of incidents their agency is
// on (contract §6). Exporting a case bundle is reading the evidence.
const (
	ActRead    = authz.EvidenceRead
	ActAdd     = authz.EvidenceCreate
	ActCustody = authz.EvidenceCustody
	ActExport  = authz.EvidenceRead
)

// check is the evidence service's one access decision: may a do act on a
// record of an incident belonging to agencyIDs? An incident without agencies
// is a platform record, which only the central roles pass.
func check(a authz.Actor, act authz.Action, agencyIDs []string) error {
	return authz.Check(a, act, authz.Record(agencyIDs...))
}

package ui

import (
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/web"
)

// IntelDeps are the services of the containment queue and the threat
// intelligence pages.
type IntelDeps struct {
	Contain *contain.Service
	Intel   *indicators.Service
}

// intelPages serves the containment queue and the intelligence pages.
type intelPages struct {
	*ui
	IntelDeps
}

// registerIntel adds the containment and threat intelligence pages.
func (u *ui) registerIntel(rt *web.Router) {
	if u.Intel == nil || u.Intel.Contain == nil || u.Intel.Intel == nil {
		return
	}
	p := &intelPages{ui: u, IntelDeps: *u.Intel}
	rt.Handle(web.UI, "GET /containment", authz.ContainmentRead, p.containmentQueue)
	rt.Handle(web.UI, "POST /containment", authz.ContainmentRequest, p.containmentCreate)
	rt.Handle(web.UI, "POST /containment/{id}/approve", authz.ContainmentApprove, p.containmentApprove)
	rt.Handle(web.UI, "POST /containment/{id}/revoke", authz.ContainmentRequest, p.containmentRevoke)

	rt.Handle(web.UI, "GET /intel", authz.IntelRead, p.intelOverview)
	rt.Handle(web.UI, "POST /intel/import", authz.IntelManage, p.intelImport)
	rt.Handle(web.UI, "POST /intel/indicators/{id}/retire", authz.IntelManage, p.intelRetire)
	rt.Handle(web.UI, "POST /intel/hunts", authz.HuntCreate, p.intelHuntCreate)
	rt.Handle(web.UI, "GET /intel/hunts/{id}", authz.HuntRead, p.intelHunt)
}

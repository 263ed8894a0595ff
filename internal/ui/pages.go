package ui

import (
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/web"
)

// pageSize is how many rows a list page shows.
const pageSize = 25

// registerPages adds the pages of the shared model. Each route names the
// action the Router checks first; the handlers then call the domain
// services, which check each record.
func (u *ui) registerPages(rt *web.Router) {
	rt.Handle(web.UI, "GET /agencies", authz.AgencyRead, u.agencyList)
	rt.Handle(web.UI, "GET /agencies/new", authz.AgencyCreate, u.agencyNewForm)
	rt.Handle(web.UI, "POST /agencies", authz.AgencyCreate, u.agencyCreate)
	rt.Handle(web.UI, "GET /agencies/{id}", authz.AgencyRead, u.agencyDetail)
	rt.Handle(web.UI, "GET /agencies/{id}/sla", authz.SLAManage, u.slaForm)
	rt.Handle(web.UI, "POST /agencies/{id}/sla", authz.SLAManage, u.slaSave)

	rt.Handle(web.UI, "GET /systems", authz.SystemRead, u.systemList)
	rt.Handle(web.UI, "GET /systems/new", authz.SystemCreate, u.systemNewForm)
	rt.Handle(web.UI, "POST /systems", authz.SystemCreate, u.systemCreate)
	rt.Handle(web.UI, "GET /systems/{id}", authz.SystemRead, u.systemDetail)
	rt.Handle(web.UI, "GET /systems/{id}/edit", authz.SystemUpdate, u.systemEditForm)
	rt.Handle(web.UI, "POST /systems/{id}/edit", authz.SystemUpdate, u.systemUpdate)

	rt.Handle(web.UI, "GET /findings", authz.FindingRead, u.findingList)
	rt.Handle(web.UI, "GET /findings/new", authz.FindingCreate, u.findingNewForm)
	rt.Handle(web.UI, "POST /findings", authz.FindingCreate, u.findingCreate)
	rt.Handle(web.UI, "GET /findings/{id}", authz.FindingRead, u.findingDetail)
	rt.Handle(web.UI, "POST /findings/{id}/status", authz.FindingUpdate, u.findingStatus)
	rt.Handle(web.UI, "POST /findings/{id}/severity", authz.FindingUpdate, u.findingSeverity)
	rt.Handle(web.UI, "POST /findings/{id}/comments", authz.FindingComment, u.findingComment)
	rt.Handle(web.UI, "POST /findings/{id}/risk", authz.FindingRiskRequest, u.findingRiskRequest)
	rt.Handle(web.UI, "POST /findings/{id}/risk/decision", authz.FindingRiskApprove, u.findingRiskDecision)

	rt.Handle(web.UI, "GET /users", authz.UserRead, u.userList)
	rt.Handle(web.UI, "GET /users/new", authz.UserManage, u.userNewForm)
	rt.Handle(web.UI, "POST /users", authz.UserManage, u.userCreate)
	rt.Handle(web.UI, "POST /users/{id}/disable", authz.UserManage, u.userDisable)
	rt.Handle(web.UI, "POST /users/{id}/enable", authz.UserManage, u.userEnable)
	rt.Handle(web.UI, "POST /users/{id}/reset-totp", authz.UserManage, u.userResetTOTP)
	rt.Handle(web.UI, "POST /users/{id}/role", authz.UserManage, u.userSetRole)

	rt.Handle(web.UI, "GET /account", authz.SignedIn, u.account)
	rt.Handle(web.UI, "POST /account/password", authz.SignedIn, u.accountPassword)
	rt.Handle(web.UI, "POST /account/tokens", authz.SignedIn, u.tokenCreate)
	rt.Handle(web.UI, "POST /account/tokens/{id}/revoke", authz.SignedIn, u.tokenRevoke)

	rt.Handle(web.UI, "GET /audit", authz.AuditRead, u.auditList)
}

// Package api is kubu's JSON API (contract §2): every route is listed in
// Register, each with the action the Router checks before it runs.
package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/feeds"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intake"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/web"
)

// Deps are the services the API serves.
type Deps struct {
	Registry *registry.Registry
	Findings *findings.Service
	Accounts *accounts.Service
	Audit    *audit.Log
	Health   func(r *http.Request) error // nil error: healthy

	Disclosure *disclosure.Service // the community programmes (nil: their routes are absent)
	Limits     *ratelimit.Policy   // rate limits of the community routes

	Intake *intake.Service // log intake (nil: its routes are absent)
	Detect *detect.Service // rules, alerts, hunts

	Scanning *scanning.Service // external scanning (nil: its routes are absent)

	Incidents *incident.Service // incident response (nil: its routes are absent)
	Evidence  *evidence.Service // the evidence locker of incidents (nil: its routes are absent)

	Contain *contain.Service    // containment (nil: its routes are absent)
	Feeds   *feeds.Service      // block lists and feed tokens
	Intel   *indicators.Service // threat intelligence (nil: its routes are absent)

	Imports *importing.Service // imports of test results into findings (nil: their routes are absent)
	Posture *posture.Service   // posture and the league table (nil: their routes are absent)
	Policy  *policy.Service    // catalogues, profiles, security plans (nil: their routes are absent)
}

type api struct{ Deps }

// Register adds the API's routes to rt.
func Register(rt *web.Router, d Deps) {
	a := &api{d}
	rt.Handle(web.Public, "GET /healthz", authz.Public, a.healthz)
	rt.Handle(web.Public, "GET /api/v1/openapi.json", authz.Public, a.openapi)

	rt.Handle(web.API, "GET /api/v1/me", authz.SignedIn, a.me)
	rt.Handle(web.API, "GET /api/v1/tokens", authz.SignedIn, a.listTokens)
	rt.Handle(web.API, "POST /api/v1/tokens", authz.SignedIn, a.createToken)
	rt.Handle(web.API, "DELETE /api/v1/tokens/{id}", authz.SignedIn, a.revokeToken)
	rt.Handle(web.Public, "POST /api/v1/public/password-reset", authz.Public, a.publicLimit(true, a.requestPasswordReset))
	rt.Handle(web.Public, "POST /api/v1/public/password-reset/confirm", authz.Public, a.publicLimit(true, a.confirmPasswordReset))

	rt.Handle(web.API, "GET /api/v1/agencies", authz.AgencyRead, a.listAgencies)
	rt.Handle(web.API, "POST /api/v1/agencies", authz.AgencyCreate, a.createAgency)
	rt.Handle(web.API, "GET /api/v1/agencies/{id}", authz.AgencyRead, a.getAgency)
	rt.Handle(web.API, "PATCH /api/v1/agencies/{id}", authz.AgencyUpdate, a.updateAgency)
	rt.Handle(web.API, "GET /api/v1/agencies/{id}/sla-policy", authz.AgencyRead, a.getPolicy)
	rt.Handle(web.API, "PUT /api/v1/agencies/{id}/sla-policy", authz.SLAManage, a.setPolicy)

	rt.Handle(web.API, "GET /api/v1/systems", authz.SystemRead, a.listSystems)
	rt.Handle(web.API, "POST /api/v1/systems", authz.SystemCreate, a.createSystem)
	rt.Handle(web.API, "GET /api/v1/systems/{id}", authz.SystemRead, a.getSystem)
	rt.Handle(web.API, "PATCH /api/v1/systems/{id}", authz.SystemUpdate, a.updateSystem)
	registerHostnames(rt, a)

	rt.Handle(web.API, "GET /api/v1/findings", authz.FindingRead, a.listFindings)
	rt.Handle(web.API, "POST /api/v1/findings", authz.FindingCreate, a.createFinding)
	rt.Handle(web.API, "GET /api/v1/findings/summary", authz.FindingRead, a.findingSummary)
	rt.Handle(web.API, "GET /api/v1/findings/{id}", authz.FindingRead, a.getFinding)
	rt.Handle(web.API, "PATCH /api/v1/findings/{id}", authz.FindingUpdate, a.updateFinding)
	rt.Handle(web.API, "GET /api/v1/findings/{id}/history", authz.FindingRead, a.findingHistory)
	rt.Handle(web.API, "GET /api/v1/findings/{id}/comments", authz.FindingRead, a.listComments)
	rt.Handle(web.API, "POST /api/v1/findings/{id}/comments", authz.FindingComment, a.addComment)
	rt.Handle(web.API, "POST /api/v1/findings/{id}/risk-acceptance", authz.FindingRiskRequest, a.requestRisk)
	rt.Handle(web.API, "POST /api/v1/findings/{id}/risk-acceptance/decision", authz.FindingRiskApprove, a.decideRisk)

	rt.Handle(web.API, "GET /api/v1/users", authz.UserRead, a.listUsers)
	rt.Handle(web.API, "POST /api/v1/users", authz.UserManage, a.createUser)
	rt.Handle(web.API, "GET /api/v1/users/{id}", authz.UserRead, a.getUser)

	rt.Handle(web.API, "GET /api/v1/audit", authz.AuditRead, a.listAudit)
	rt.Handle(web.API, "GET /api/v1/audit/checkpoints", authz.AuditRead, a.listCheckpoints)
	registerDisclosure(rt, a)
	registerMonitoring(rt, a)
	registerIncidents(rt, a)
	registerContainment(rt, a)
	registerIntel(rt, a)
	registerScanning(rt, a)
	registerReadiness(rt, a)
	registerPolicy(rt, a)
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	if a.Health != nil {
		if err := a.Health(r); err != nil {
			web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	u, err := a.Accounts.User(r.Context(), actor, actor.UserID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, u)
}

// listParams reads limit and cursor.
func listParams(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return 0, "", web.BadRequest("invalid", "limit must be a whole number from 1 to 1000")
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

// multi reads a query parameter that may repeat or hold a comma list.
func multi(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

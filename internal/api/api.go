// Package api is kubu's JSON API (contract §2): every route is listed in
// Register, each with the action the Router checks before it runs.
package api

import (
	"context"
	"net/http"
	"sort"
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

// HealthPart is one part of a node in /healthz and /readyz: its name (the
// JSON key) and nil when it answers.
type HealthPart struct {
	Name string
	Err  error
}

// Deps are the services the API serves.
type Deps struct {
	Registry *registry.Registry
	Findings *findings.Service
	Accounts *accounts.Service
	Audit    *audit.Log
	// Health checks the node's parts (ready: also whether it should take
	// traffic); nil: always healthy.
	Health func(ctx context.Context, ready bool) []HealthPart

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
	rt.Handle(web.Public, "GET /readyz", authz.Public, a.readyz)
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

// healthz reports whether the node's parts answer: the database and, while
// serving, the event log ({"status":"ok","database":"ok","event_log":"ok"}).
// Any part down answers 503 naming it.
func (a *api) healthz(w http.ResponseWriter, r *http.Request) { a.writeHealth(w, r, false) }

// readyz is healthz for load balancers: also 503 while the node drains at
// SIGTERM or before its event log is open, so traffic moves elsewhere.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) { a.writeHealth(w, r, true) }

func (a *api) writeHealth(w http.ResponseWriter, r *http.Request, ready bool) {
	out := map[string]string{"status": "ok"}
	code := http.StatusOK
	if a.Health != nil {
		for _, p := range a.Health(r.Context(), ready) {
			if p.Err == nil {
				out[p.Name] = "ok"
				continue
			}
			out[p.Name] = p.Err.Error()
			out["status"] = "unavailable"
			code = http.StatusServiceUnavailable
		}
	}
	if code != http.StatusOK {
		var bad []string
		for k, v := range out {
			if k != "status" && v != "ok" {
				bad = append(bad, k+": "+v)
			}
		}
		sort.Strings(bad)
		out["reason"] = strings.Join(bad, "; ")
	}
	web.WriteJSON(w, code, out)
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

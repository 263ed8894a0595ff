package api

import (
	"errors"
	"github.com/kubu-gov/kubu/internal/authz"
	"net/http"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intake"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerMonitoring adds the 24/7 monitoring routes: the shippers' intake
// protocols (intake surface, intake tokens), and the JSON API of intake
// counters and tokens, rules, alerts and retro-hunts.
func registerMonitoring(rt *web.Router, a *api) {
	if a.Intake == nil || a.Detect == nil {
		return
	}
	in := a.Intake
	for _, r := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"POST /services/collector", in.HECEvent},
		{"POST /services/collector/event", in.HECEvent},
		{"POST /services/collector/event/1.0", in.HECEvent},
		{"POST /services/collector/raw", in.HECRaw},
		{"POST /services/collector/raw/1.0", in.HECRaw},
		{"GET /services/collector/health", in.HECHealth},
		{"GET /services/collector/health/1.0", in.HECHealth},
		{"POST /services/collector/ack", in.HECAck},
		{"POST /_bulk", in.Bulk},
		{"PUT /_bulk", in.Bulk},
		{"POST /{index}/_bulk", in.Bulk},
		{"PUT /{index}/_bulk", in.Bulk},
		{"POST /v1/logs", in.OTLPLogs},
		// Elasticsearch's GET / and HEAD / (the product check of Beats,
		// Logstash, elasticsearch-py) can be added here as "GET /{$}" and
		// "HEAD /{$}": the Router sends / to the intake surface when the
		// request carries intake credentials (web.IntakeCredential), and
		// browsers keep the home page. A listener of intake's own serves
		// rt.SurfaceHandler(web.Intake).
	} {
		rt.Handle(web.Intake, r.pattern, authz.IntakeSend, r.h)
	}

	rt.Handle(web.API, "GET /api/v1/intake/stats", authz.IntakeRead, a.intakeStats)
	rt.Handle(web.API, "GET /api/v1/intake/tokens", authz.IntakeManage, a.listIntakeTokens)
	rt.Handle(web.API, "POST /api/v1/intake/tokens", authz.IntakeManage, a.createIntakeToken)
	rt.Handle(web.API, "DELETE /api/v1/intake/tokens/{id}", authz.IntakeManage, a.revokeIntakeToken)
	rt.Handle(web.API, "GET /api/v1/intake/unassigned", authz.IntakeUnassigned, a.listUnassigned)
	rt.Handle(web.API, "GET /api/v1/intake/sources", authz.AlertRead, a.listSources)

	rt.Handle(web.API, "GET /api/v1/rules", authz.RuleRead, a.listRules)
	rt.Handle(web.API, "POST /api/v1/rules", authz.RuleManage, a.createRule)
	rt.Handle(web.API, "GET /api/v1/rules/{id}", authz.RuleRead, a.getRule)
	rt.Handle(web.API, "PUT /api/v1/rules/{id}", authz.RuleManage, a.replaceRule)
	rt.Handle(web.API, "PATCH /api/v1/rules/{id}", authz.RuleManage, a.patchRule)

	rt.Handle(web.API, "GET /api/v1/alerts", authz.AlertRead, a.listAlerts)
	rt.Handle(web.API, "GET /api/v1/alerts/{id}", authz.AlertRead, a.getAlert)
	rt.Handle(web.API, "GET /api/v1/alerts/{id}/events", authz.AlertRead, a.alertEvents)
	rt.Handle(web.API, "PATCH /api/v1/alerts/{id}", authz.AlertUpdate, a.updateAlert)

	rt.Handle(web.API, "GET /api/v1/hunts", authz.HuntRead, a.listHunts)
	rt.Handle(web.API, "POST /api/v1/hunts", authz.HuntCreate, a.createHunt)
	rt.Handle(web.API, "GET /api/v1/hunts/{id}", authz.HuntRead, a.getHunt)
}

// monitoringError maps the monitoring services' own errors to API errors.
func monitoringError(err error) error {
	var re *detect.RuleError
	if errors.As(err, &re) {
		return web.BadRequest("invalid_rule", "%s", re.Msg)
	}
	return err
}

func (a *api) intakeStats(w http.ResponseWriter, r *http.Request) {
	st, err := a.Intake.Stats(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, st)
}

func (a *api) listIntakeTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := a.Intake.Tokens(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": toks})
}

func (a *api) createIntakeToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Agency string `json:"agency"`
		Name   string `json:"name"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	secret, t, err := a.Intake.CreateToken(r.Context(), web.ActorFrom(r.Context()), in.Agency, in.Name)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, struct {
		intake.Token
		Secret string `json:"token"`
	}{t, secret})
}

func (a *api) revokeIntakeToken(w http.ResponseWriter, r *http.Request) {
	if err := a.Intake.RevokeToken(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) listUnassigned(w http.ResponseWriter, r *http.Request) {
	items, err := a.Intake.Unassigned(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *api) listSources(w http.ResponseWriter, r *http.Request) {
	items, err := a.Detect.Sources(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

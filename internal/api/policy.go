package api

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerPolicy adds the readiness routes of contract §10: catalogues,
// profiles, security plans and deviations.
func registerPolicy(rt *web.Router, a *api) {
	if a.Policy == nil {
		return
	}
	for _, kind := range []string{"catalog", "profile"} {
		base := "/api/v1/" + kind + "s"
		rt.Handle(web.API, "POST "+base, authz.PolicyManage, a.loadDocument(kind))
		rt.Handle(web.API, "GET "+base, authz.PolicyRead, a.listDocuments(kind))
		rt.Handle(web.API, "GET "+base+"/{id}", authz.PolicyRead, a.getDocument(kind))
		rt.Handle(web.API, "GET "+base+"/{id}/controls", authz.PolicyRead, a.listControls(kind))
	}
	rt.Handle(web.API, "GET /api/v1/systems/{id}/plan", authz.PlanRead, a.getPlan)
	rt.Handle(web.API, "PUT /api/v1/systems/{id}/plan", authz.PlanUpdate, a.putPlan)
	rt.Handle(web.API, "POST /api/v1/systems/{id}/deviations", authz.PlanUpdate, a.requestDeviation)
	rt.Handle(web.API, "GET /api/v1/deviations", authz.PlanRead, a.listDeviations)
	rt.Handle(web.API, "GET /api/v1/deviations/{id}", authz.PlanRead, a.getDeviation)
	rt.Handle(web.API, "POST /api/v1/deviations/{id}/decision", authz.DeviationApprove, a.decideDeviation)
	rt.Handle(web.API, "POST /api/v1/deviations/{id}/renewal", authz.PlanUpdate, a.renewDeviation)
}

// loadDocument stores an OSCAL catalog or profile sent as the JSON body
// (up to policy.MaxDocument); ?name= is the file name profiles import it
// by. 201 when new, 200 with the stored one when the same bytes came before.
func (a *api) loadDocument(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain" || mt == "application/octet-stream") {
				web.WriteError(w, r, &web.BadRequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the OSCAL document as application/json"})
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, policy.MaxDocument))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if len(body) == 0 {
			web.WriteError(w, r, web.BadRequest("bad_json", "the body is empty: send an OSCAL %s in JSON", kind))
			return
		}
		load := a.Policy.LoadCatalog
		if kind == "profile" {
			load = a.Policy.LoadProfile
		}
		d, created, err := load(r.Context(), web.ActorFrom(r.Context()), r.URL.Query().Get("name"), body)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		w.Header().Set("Location", "/api/v1/"+kind+"s/"+d.ID)
		web.WriteJSON(w, status, d)
	}
}

func (a *api) listDocuments(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, cursor, err := listParams(r)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		page, err := a.Policy.Documents(r.Context(), web.ActorFrom(r.Context()), kind, cursor, limit)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, page)
	}
}

// getDocument answers the record, or with ?format=oscal the OSCAL JSON as
// it was loaded.
func (a *api) getDocument(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor := web.ActorFrom(r.Context())
		switch r.URL.Query().Get("format") {
		case "":
			d, err := a.Policy.Document(r.Context(), actor, kind, r.PathValue("id"))
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, d)
		case "oscal":
			raw, err := a.Policy.Raw(r.Context(), actor, kind, r.PathValue("id"))
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+kind+"-"+r.PathValue("id")+`.json"`)
			w.Write(raw)
		default:
			web.WriteError(w, r, web.BadRequest("invalid", "format must be oscal or left out"))
		}
	}
}

// listControls pages through a document's controls in document order; the
// cursor is the position of the next control.
func (a *api) listControls(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, cursor, err := listParams(r)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if limit == 0 {
			limit = 50
		}
		from := 0
		if cursor != "" {
			if from, err = strconv.Atoi(cursor); err != nil || from < 0 {
				web.WriteError(w, r, web.BadRequest("invalid_cursor", "the cursor is not valid"))
				return
			}
		}
		cs, err := a.Policy.Controls(r.Context(), web.ActorFrom(r.Context()), kind, r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if f := r.URL.Query().Get("family"); f != "" {
			var kept []policy.Control
			for _, c := range cs {
				if c.Family == f {
					kept = append(kept, c)
				}
			}
			cs = kept
		}
		out := map[string]any{"items": []policy.Control{}}
		if from < len(cs) {
			to := min(from+limit, len(cs))
			out["items"] = cs[from:to]
			if to < len(cs) {
				out["next_cursor"] = strconv.Itoa(to)
			}
		}
		web.WriteJSON(w, http.StatusOK, out)
	}
}

// getPlan answers the plan; ?format=oscal the OSCAL system-security-plan,
// ?format=oscal-ar the automatic evidence as OSCAL assessment-results.
func (a *api) getPlan(w http.ResponseWriter, r *http.Request) {
	actor, id := web.ActorFrom(r.Context()), r.PathValue("id")
	var doc any
	var root string
	var err error
	switch r.URL.Query().Get("format") {
	case "":
		p, err := a.Policy.Plan(r.Context(), actor, id)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, p)
		return
	case "oscal":
		root = "system-security-plan"
		doc, err = a.Policy.SSP(r.Context(), actor, id, "")
	case "oscal-ar":
		root = "assessment-results"
		doc, err = a.Policy.AssessmentResults(r.Context(), actor, id, "")
	default:
		web.WriteError(w, r, web.BadRequest("invalid", "format must be oscal, oscal-ar or left out"))
		return
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := oscal.Write(w, root, doc); err != nil {
		web.WriteError(w, r, err)
	}
}

func (a *api) putPlan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		policy.PlanInput
		// Read-only members of a plan as GET answers it, accepted so a
		// plan read can be sent back.
		SystemID      string         `json:"system_id"`
		System        string         `json:"system"`
		AgencyID      string         `json:"agency_id"`
		Agency        string         `json:"agency"`
		ProfileTitle  string         `json:"profile_title"`
		ProfileChosen string         `json:"profile_chosen"`
		ProfileReason string         `json:"profile_reason"`
		Counts        json0          `json:"counts"`
		EvaluatedAt   json0          `json:"evaluated_at"`
		UpdatedAt     json0          `json:"updated_at"`
		Controls      []controlInput `json:"controls"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	for _, c := range in.Controls {
		pc := c.PlanControlInput
		if c.Deviation != nil {
			pc.Deviation = &c.Deviation.DeviationInput
		}
		in.PlanInput.Controls = append(in.PlanInput.Controls, pc)
	}
	p, err := a.Policy.UpdatePlan(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.PlanInput)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

// json0 accepts and ignores any JSON value.
type json0 struct{}

func (json0) UnmarshalJSON([]byte) error { return nil }

// controlInput is a plan control as PUT takes it, with the read-only
// members GET adds.
type controlInput struct {
	policy.PlanControlInput
	Title       string `json:"title"`
	Family      string `json:"family"`
	Pending     json0  `json:"pending_deviations"`
	Result      string `json:"result"`
	Reason      string `json:"reason"`
	Explanation string `json:"explanation"`
	// Deviation shadows the embedded one to accept a deviation as read.
	Deviation *deviationInput `json:"deviation"`
}

// deviationInput is a deviation as PUT takes it, with the read-only
// members GET adds.
type deviationInput struct {
	policy.DeviationInput
	ID          json0 `json:"id"`
	SystemID    json0 `json:"system_id"`
	System      json0 `json:"system"`
	AgencyID    json0 `json:"agency_id"`
	Agency      json0 `json:"agency"`
	ControlID   json0 `json:"control_id"`
	Status      json0 `json:"status"`
	RequestedBy json0 `json:"requested_by"`
	RequestedAt json0 `json:"requested_at"`
	DecidedAt   json0 `json:"decided_at"`
	Note        json0 `json:"note"`
	RenewalOf   json0 `json:"renewal_of"`
}

func (a *api) requestDeviation(w http.ResponseWriter, r *http.Request) {
	var in policy.DeviationRequest
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := a.Policy.RequestDeviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/deviations/"+d.ID)
	web.WriteJSON(w, http.StatusCreated, d)
}

func (a *api) listDeviations(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	agencyID, ok := a.agencyParam(r)
	if !ok {
		web.WriteJSON(w, http.StatusOK, store.Page[policy.Deviation]{Items: []policy.Deviation{}})
		return
	}
	q := r.URL.Query()
	page, err := a.Policy.Deviations(r.Context(), web.ActorFrom(r.Context()), policy.DeviationFilter{Status: q.Get("status"),
		SystemID: q.Get("system"), AgencyID: agencyID, Cursor: cursor, Limit: limit})
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) getDeviation(w http.ResponseWriter, r *http.Request) {
	d, err := a.Policy.Deviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (a *api) decideDeviation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Decision string `json:"decision"` // approve | reject
		Note     string `json:"note"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if in.Decision != "approve" && in.Decision != "reject" {
		web.WriteError(w, r, web.BadRequest("invalid", "decision must be approve or reject"))
		return
	}
	d, err := a.Policy.DecideDeviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.Decision == "approve", in.Note)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (a *api) renewDeviation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ExpiresAt time.Time `json:"expires_at"`
		Reason    string    `json:"reason"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	d, err := a.Policy.RenewDeviation(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in.ExpiresAt, in.Reason)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/deviations/"+d.ID)
	web.WriteJSON(w, http.StatusCreated, d)
}

package api

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/web"
)

// readYAML reads a Sigma rule body (application/yaml and its aliases).
func readYAML(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain":
	default:
		return nil, &web.BadRequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send the Sigma rule as application/yaml"}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, detect.MaxRuleYAML))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, web.BadRequest("invalid_rule", "the body is empty")
	}
	return b, nil
}

func (a *api) listRules(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := detect.RuleFilter{Query: q.Get("q"), Level: q.Get("level"), Cursor: cursor, Limit: limit}
	if s := q.Get("enabled"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "enabled must be true or false"))
			return
		}
		f.Enabled = &b
	}
	page, err := a.Detect.ListRules(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) createRule(w http.ResponseWriter, r *http.Request) {
	yaml, err := readYAML(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rule, err := a.Detect.CreateRule(r.Context(), web.ActorFrom(r.Context()), yaml)
	if err != nil {
		web.WriteError(w, r, monitoringError(err))
		return
	}
	web.WriteJSON(w, http.StatusCreated, rule)
}

func (a *api) getRule(w http.ResponseWriter, r *http.Request) {
	rule, err := a.Detect.RuleByID(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rule)
}

func (a *api) replaceRule(w http.ResponseWriter, r *http.Request) {
	yaml, err := readYAML(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rule, err := a.Detect.ReplaceRule(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), yaml)
	if err != nil {
		web.WriteError(w, r, monitoringError(err))
		return
	}
	web.WriteJSON(w, http.StatusOK, rule)
}

func (a *api) patchRule(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Enabled *bool `json:"enabled"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if in.Enabled == nil {
		web.WriteError(w, r, web.BadRequest("invalid", "send {\"enabled\": true|false}"))
		return
	}
	rule, err := a.Detect.SetRuleEnabled(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), *in.Enabled)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rule)
}

package api

import (
	"mime"
	"net/http"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/web"
)

// createHunt starts a retro-hunt: JSON {"rule_id" or "rule", "from", "to",
// "time_basis"?}, or a Sigma rule as application/yaml with from, to and
// time_basis in the query.
func (a *api) createHunt(w http.ResponseWriter, r *http.Request) {
	var in detect.NewHunt
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		yaml, err := readYAML(w, r)
		if err == nil {
			in.Rule, in.TimeBasis = string(yaml), r.URL.Query().Get("time_basis")
			if in.From, err = timeParam(r, "from"); err == nil {
				in.To, err = timeParam(r, "to")
			}
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
	default:
		if err := web.DecodeJSON(w, r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	h, err := a.Detect.CreateHunt(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, monitoringError(err))
		return
	}
	w.Header().Set("Location", "/api/v1/hunts/"+h.ID)
	web.WriteJSON(w, http.StatusAccepted, h)
}

func (a *api) getHunt(w http.ResponseWriter, r *http.Request) {
	h, err := a.Detect.HuntByID(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, h)
}

func (a *api) listHunts(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	page, err := a.Detect.ListHunts(r.Context(), web.ActorFrom(r.Context()), cursor, limit)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

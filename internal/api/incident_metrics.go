package api

import (
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) incidentMetrics(w http.ResponseWriter, r *http.Request) {
	from, err := timeParam(r, "from")
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	to, err := timeParam(r, "to")
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if to.IsZero() {
		to = time.Now()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -90)
	}
	m, err := a.Incidents.Metrics(r.Context(), web.ActorFrom(r.Context()), from, to)
	write(w, r, http.StatusOK, m, err)
}

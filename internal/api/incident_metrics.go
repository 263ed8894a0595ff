package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) incidentReport(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	var body []byte
	var name, ctype string
	var err error
	switch format := r.URL.Query().Get("format"); format {
	case "", "md", "markdown":
		body, name, err = a.Incidents.ReportMarkdown(r.Context(), actor, r.PathValue("id"))
		name, ctype = name+".md", "text/markdown; charset=utf-8"
	case "pdf":
		body, name, err = a.Incidents.ReportPDF(r.Context(), actor, r.PathValue("id"))
		name, ctype = name+".pdf", "application/pdf"
		if errors.Is(err, incident.ErrNoPDF) {
			err = &web.BadRequestError{Status: http.StatusServiceUnavailable, Code: "pdf_unavailable", Message: err.Error()}
		}
	default:
		err = web.BadRequest("invalid", "format must be md or pdf")
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

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

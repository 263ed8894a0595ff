package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/web"
)

type metricsRow struct {
	Label   string
	Metrics disclosure.Metrics
}

type metricsData struct {
	Rows          []metricsRow
	Notifications []disclosure.Notification
	Unread        int
}

// metricsPage shows the community numbers: per programme for central
// staff, for their own agency for agency staff; and the caller's
// notifications (escalations).
func (c *community) metricsPage(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	var d metricsData
	all, err := c.Disclosure.Metrics(ctx, a, disclosure.MetricsFilter{})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	label := "All programmes"
	if !authz.ScopeOf(a, authz.ProgrammeMetrics).All {
		label = "Reports on your agency's systems"
	}
	d.Rows = append(d.Rows, metricsRow{Label: label, Metrics: all})
	if authz.ScopeOf(a, authz.ProgrammeMetrics).All {
		progs, err := c.Disclosure.ListProgrammes(ctx, a)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, p := range progs {
			m, err := c.Disclosure.Metrics(ctx, a, disclosure.MetricsFilter{ProgrammeID: p.ID})
			if err != nil {
				c.fail(w, r, err)
				return
			}
			d.Rows = append(d.Rows, metricsRow{Label: p.Name, Metrics: m})
		}
	}
	if d.Notifications, d.Unread, err = c.Disclosure.Notifications(ctx, a); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "programme_metrics.html", page{Title: "Community programmes", Data: d})
}

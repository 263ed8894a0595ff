package ui

import (
	"fmt"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/web"
)

// barChart is a grouped bar chart laid out on the server: for each group
// (a severity) one bar per series (a clock's median and p90).
type barChart struct {
	ID            string
	Title, Desc   string
	Width, Height int
	Left, Right   float64
	Top, Bottom   float64
	YTicks        []chartTick
	Groups        []barGroup
	Legend        []barLegend
}

type barGroup struct {
	Label  string
	X      float64 // centre of the group's label
	Bars   []bar
	Labels []chartTick
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type barLegend struct {
	X     float64
	Class string
	Label string
}

// newResponseChart draws, per severity, the median and p90 time to one
// clock, in hours.
func newResponseChart(id, clock string, rows []incident.MetricsRow) barChart {
	c := barChart{ID: id, Width: chartWidth, Height: chartHeight, Left: 56, Right: chartWidth - 8, Top: 40, Bottom: chartHeight - 36,
		Title: "Time to " + clock + " by severity (hours): median and 90th percentile"}
	pick := func(r incident.MetricsRow) incident.Durations {
		switch clock {
		case incident.ClockAcknowledge:
			return r.Acknowledge
		case incident.ClockContain:
			return r.Contain
		}
		return r.Recover
	}
	hours := func(p *int64) float64 {
		if p == nil {
			return 0
		}
		return float64(*p) / 3600
	}
	maxV := 0.0
	for _, r := range rows {
		maxV = max(maxV, hours(pick(r).P90S))
	}
	top, step := niceScale(int(maxV + 0.999))
	y := func(v float64) float64 { return round1(c.Bottom - (c.Bottom-c.Top)*v/float64(top)) }
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, chartTick{Pos: y(float64(v)), Label: fmt.Sprint(v)})
	}
	n := max(len(rows), 1)
	band := (c.Right - c.Left) / float64(n)
	var desc string
	for i, r := range rows {
		d := pick(r)
		x0 := c.Left + band*float64(i) + band*0.2
		w := band * 0.3
		g := barGroup{Label: fmt.Sprintf("%s (%d)", humanise(r.Severity), r.Count), X: round1(c.Left + band*float64(i) + band/2)}
		for j, s := range []struct {
			v     *int64
			class string
			name  string
		}{{d.MedianS, "bar-median", "median"}, {d.P90S, "bar-p90", "90th percentile"}} {
			h := hours(s.v)
			b := bar{X: round1(x0 + float64(j)*w), Y: y(h), W: round1(w), H: round1(c.Bottom - y(h)), Class: s.class,
				Title: fmt.Sprintf("%s, %s: %s", humanise(r.Severity), s.name, durationOr(s.v))}
			g.Bars = append(g.Bars, b)
		}
		c.Groups = append(c.Groups, g)
		desc += fmt.Sprintf("%s: median %s, 90th percentile %s over %d. ", humanise(r.Severity), durationOr(d.MedianS), durationOr(d.P90S), d.N)
	}
	if desc == "" {
		desc = "No incidents in this period."
	}
	c.Desc = desc
	c.Legend = []barLegend{{X: c.Left, Class: "bar-median", Label: "Median"}, {X: c.Left + 130, Class: "bar-p90", Label: "90th percentile"}}
	return c
}

func durationOr(p *int64) string {
	if p == nil {
		return "none"
	}
	return incident.HumanDuration(*p)
}

type incidentMetricsData struct {
	From, To string // date inputs
	Metrics  incident.Metrics
	Charts   []barChart
}

func (u *ui) incidentMetrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := time.Now().UTC()
	from := to.AddDate(0, 0, -90)
	var c check
	if s := q.Get("from"); s != "" {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			from = t
		} else {
			c.add("from", "must be a date")
		}
	}
	if s := q.Get("to"); s != "" {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			to = t.Add(24*time.Hour - time.Millisecond)
		} else {
			c.add("to", "must be a date")
		}
	}
	d := &incidentMetricsData{From: from.Format("2006-01-02"), To: to.Format("2006-01-02")}
	p := page{Title: "Incident metrics", Data: d}
	if !c.ok() {
		p.Problems = c.list
		u.render(w, r, http.StatusBadRequest, "incident_metrics.html", p)
		return
	}
	m, err := u.Incidents.Metrics(r.Context(), web.ActorFrom(r.Context()), from, to)
	if err != nil {
		u.formFail(w, r, err, "incident_metrics.html", "", "from", p)
		return
	}
	d.Metrics = m
	for _, clock := range incident.Clocks {
		d.Charts = append(d.Charts, newResponseChart("chart-"+clock, clock, m.BySeverity))
	}
	u.render(w, r, http.StatusOK, "incident_metrics.html", p)
}

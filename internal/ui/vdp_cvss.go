package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/severity"
)

type cvssData struct {
	Version string
	Metrics []severity.Metric
	Values  map[string]string
	Result  *severity.CVSS
	Back    string // where "use this vector" goes ("/vdp" or a report)
}

// cvssCalculator is a CVSS 3.1 / 4.0 calculator that works as a plain GET
// form: pick a value per metric, submit, read the vector, score and
// severity.
func (c *community) cvssCalculator(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := cvssData{Version: "3.1", Metrics: severity.CVSS31Metrics, Values: map[string]string{}, Back: "/vdp"}
	if q.Get("version") == "4.0" {
		d.Version, d.Metrics = "4.0", severity.CVSS40Metrics
	}
	if b := localPath(q.Get("back")); b != "/" {
		d.Back = b
	}
	complete := true
	for _, m := range d.Metrics {
		v := q.Get(m.Key)
		d.Values[m.Key] = v
		if v == "" {
			complete = false
		}
	}
	p := page{Title: "CVSS calculator"}
	if complete {
		res, err := severity.BuildVector(d.Version, d.Values)
		if err != nil {
			p.Error = "Those values do not make a valid vector."
		} else {
			d.Result = &res
		}
	}
	p.Data = d
	c.render(w, r, http.StatusOK, "vdp_cvss.html", p)
}

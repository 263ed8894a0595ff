package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/severity"
)

type cvssData struct {
	Version string
	Metrics []cvssMetric
	Values  map[string]string
	Result  *severity.CVSS
	Back    string // where "use this vector" goes ("/vdp" or a report)
}

// cvssCalculator is a CVSS 3.1 / 4.0 calculator that works as a plain GET
// form: pick a value per metric, submit, read the vector, score and
// severity.
func (c *community) cvssCalculator(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := cvssData{Version: "3.1", Metrics: cvssMetrics("3.1", severity.CVSS31Metrics), Values: map[string]string{}, Back: "/vdp"}
	if q.Get("version") == "4.0" {
		d.Version, d.Metrics = "4.0", cvssMetrics("4.0", severity.CVSS40Metrics)
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

// cvssMetric is a base metric as the calculator shows it: each value with
// its word from the CVSS specification (the letter alone means little to
// most reporters).
type cvssMetric struct {
	Key, Name string
	Options   []cvssOption
}

type cvssOption struct{ Value, Word string }

func cvssMetrics(version string, ms []severity.Metric) []cvssMetric {
	out := make([]cvssMetric, len(ms))
	for i, m := range ms {
		out[i] = cvssMetric{Key: m.Key, Name: m.Name}
		for _, v := range m.Values {
			out[i].Options = append(out[i].Options, cvssOption{Value: v, Word: cvssWord(version, m.Key, v)})
		}
	}
	return out
}

// cvssWord names a metric value as CVSS 3.1 and 4.0 do.
func cvssWord(version, key, v string) string {
	switch key {
	case "AV":
		return map[string]string{"N": "Network", "A": "Adjacent", "L": "Local", "P": "Physical"}[v]
	case "AT":
		return map[string]string{"N": "None", "P": "Present"}[v]
	case "UI":
		if version == "4.0" {
			return map[string]string{"N": "None", "P": "Passive", "A": "Active"}[v]
		}
		return map[string]string{"N": "None", "R": "Required"}[v]
	case "S":
		return map[string]string{"U": "Unchanged", "C": "Changed"}[v]
	}
	if w, ok := map[string]string{"N": "None", "L": "Low", "H": "High"}[v]; ok {
		return w
	}
	return v
}

package incident

import (
	"bytes"
	_ "embed"
	"html/template"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/markdown"
)

//go:embed report.html
var reportHTML string

var md = markdown.New()

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"upper":    strings.ToUpper,
	"join":     strings.Join,
	"category": categoryLabel,
	"markdown": md.HTML, // sanitised: descriptions and reviews are people's text
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"utcs":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"utcp":     when,
	"add":      func(a, b float64) float64 { return a + b },
}).Parse(reportHTML))

// html renders the report as one self-contained HTML document (inline
// styles and SVG, no external resources) for printing.
func (rep *report) html() (string, error) {
	var b bytes.Buffer
	err := reportTemplate.Execute(&b, struct {
		*report
		ClockRows []ClockRow
	}{rep, ClockRows(rep.Inc.Clocks, rep.Generated)})
	return b.String(), err
}

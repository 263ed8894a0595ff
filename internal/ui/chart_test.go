package ui

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/markdown"
)

func TestNiceScale(t *testing.T) {
	tests := []struct{ max, top, step int }{
		{0, 4, 1}, {1, 1, 1}, {3, 3, 1}, {5, 5, 1}, {6, 6, 2}, {9, 10, 2}, {10, 10, 2},
		{11, 15, 5}, {23, 25, 5}, {26, 30, 10}, {49, 50, 10}, {51, 60, 20}, {999, 1000, 200}, {1001, 1500, 500},
	}
	for _, tt := range tests {
		top, step := niceScale(tt.max)
		if top != tt.top || step != tt.step {
			t.Errorf("niceScale(%d) = %d, %d; want %d, %d", tt.max, top, step, tt.top, tt.step)
		}
		if top < tt.max || top/step > 5 || top%step != 0 {
			t.Errorf("niceScale(%d) = %d, %d breaks its promise", tt.max, top, step)
		}
	}
}

func TestTrendChart(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var pts []findings.TrendPoint
	for i := range 13 {
		pts = append(pts, findings.TrendPoint{At: start.Add(time.Duration(i) * trendStep), Open: 10 + i, Overdue: i / 2})
	}
	c := newTrendChart("trend", "Ministry of Health", pts)
	if c.Title != "Open and overdue findings, Ministry of Health" {
		t.Errorf("title %q", c.Title)
	}
	wantDesc := "Open findings went from 10 on 5 Jan 2026 to 22 on 22 Jun 2026; overdue findings from 0 to 6."
	if c.Desc != wantDesc {
		t.Errorf("desc %q, want %q", c.Desc, wantDesc)
	}
	// The axis runs to 25 in fives; the first point sits on the left edge at
	// 10 of 25 (y = 244 - 188*10/25), the last on the right edge.
	var labels []string
	for _, tk := range c.YTicks {
		labels = append(labels, tk.Label)
	}
	if diff := cmp.Diff([]string{"0", "5", "10", "15", "20", "25"}, labels); diff != "" {
		t.Errorf("y labels (-want +got):\n%s", diff)
	}
	if c.OpenDots[0] != (chartDot{X: 56, Y: 168.8}) || c.OpenDots[12].X != chartWidth-8 {
		t.Errorf("dots: first %+v, last %+v", c.OpenDots[0], c.OpenDots[12])
	}
	if len(c.XTicks) != 4 || c.XTicks[0].Label != "5 Jan" || c.XTicks[3].Label != "22 Jun" {
		t.Errorf("x ticks %+v", c.XTicks)
	}
	if len(c.Rows) != 13 || c.Rows[12] != (chartRow{Label: "22 Jun 2026", Open: 22, Overdue: 6}) {
		t.Errorf("rows %+v", c.Rows)
	}
	for _, d := range append(c.OpenDots, c.OverdueDots...) {
		if d.X < c.Left || d.X > c.Right || d.Y < c.Top || d.Y > c.Bottom {
			t.Errorf("dot %+v outside the plot", d)
		}
	}
}

// TestChartTemplate renders the chart partial: an SVG with its title,
// description and both lines, and the data table that stands in for it.
func TestChartTemplate(t *testing.T) {
	pages := mustParsePages((&ui{md: markdown.New()}).funcs())
	pts := []findings.TrendPoint{{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Open: 3, Overdue: 1}, {At: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), Open: 4, Overdue: 0}}
	var b bytes.Buffer
	if err := pages["home.html"].ExecuteTemplate(&b, "chart", newTrendChart("c", "MOH", pts)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`role="img" aria-labelledby="c-title c-desc"`, `<title id="c-title">Open and overdue findings, MOH</title>`,
		`class="chart-line chart-open" points="56.0,103.0 632.0,56.0"`, `class="chart-line chart-overdue"`,
		`<th scope="row">1 Jan 2026</th><td>3</td><td>1</td>`, `<figcaption class="visually-hidden">`} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("chart lacks %q:\n%s", want, b.String())
		}
	}
}

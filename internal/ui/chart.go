package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/findings"
)

// trendChart is an SVG line chart of open and overdue findings over time,
// laid out on the server. The template draws it; kubu.css colours it.
type trendChart struct {
	ID             string // prefix of the ids of its title and description
	Title, Desc    string
	Width, Height  int
	Left, Right    float64 // the plot area, in the viewBox's units
	Top, Bottom    float64
	YTicks, XTicks []chartTick
	Open, Overdue  string // polyline points
	OpenDots       []chartDot
	OverdueDots    []chartDot
	Rows           []chartRow // the data, for the table that stands in for the chart
}

type chartTick struct {
	Pos    float64 // y of a horizontal gridline, or x of a label
	Label  string
	Anchor string // text-anchor of an x label: the end labels stay inside the chart
}

type chartDot struct{ X, Y float64 }

type chartRow struct {
	Label         string
	Open, Overdue int
}

const (
	chartWidth  = 640
	chartHeight = 280
)

// newTrendChart lays out pts. what names the scope, e.g. "Ministry of Health".
func newTrendChart(id, what string, pts []findings.TrendPoint) trendChart {
	c := trendChart{ID: id, Width: chartWidth, Height: chartHeight, Left: 56, Right: chartWidth - 8, Top: 56, Bottom: chartHeight - 36}
	c.Title = "Open and overdue findings, " + what
	maxV := 0
	for _, p := range pts {
		c.Rows = append(c.Rows, chartRow{Label: p.At.UTC().Format("2 Jan 2006"), Open: p.Open, Overdue: p.Overdue})
		maxV = max(maxV, p.Open, p.Overdue)
	}
	top, step := niceScale(maxV)
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, chartTick{Pos: c.y(v, top), Label: strconv.Itoa(v)})
	}
	var open, overdue []string
	for i, p := range pts {
		x := c.x(i, len(pts))
		open = append(open, coord(x, c.y(p.Open, top)))
		overdue = append(overdue, coord(x, c.y(p.Overdue, top)))
		c.OpenDots = append(c.OpenDots, chartDot{X: round1(x), Y: round1(c.y(p.Open, top))})
		c.OverdueDots = append(c.OverdueDots, chartDot{X: round1(x), Y: round1(c.y(p.Overdue, top))})
		if i%4 == 0 || i == len(pts)-1 && len(pts) < 4 {
			anchor := "middle"
			switch i {
			case 0:
				anchor = "start"
			case len(pts) - 1:
				anchor = "end"
			}
			c.XTicks = append(c.XTicks, chartTick{Pos: round1(x), Label: p.At.UTC().Format("2 Jan"), Anchor: anchor})
		}
	}
	c.Open = strings.Join(open, " ")
	c.Overdue = strings.Join(overdue, " ")
	if n := len(pts); n > 0 {
		first, last := pts[0], pts[n-1]
		c.Desc = fmt.Sprintf("Open findings went from %d on %s to %d on %s; overdue findings from %d to %d.",
			first.Open, first.At.UTC().Format("2 Jan 2006"), last.Open, last.At.UTC().Format("2 Jan 2006"), first.Overdue, last.Overdue)
	} else {
		c.Desc = "No data."
	}
	return c
}

func (c trendChart) x(i, n int) float64 {
	if n < 2 {
		return c.Left
	}
	return c.Left + (c.Right-c.Left)*float64(i)/float64(n-1)
}

func (c trendChart) y(v, top int) float64 {
	return round1(c.Bottom - (c.Bottom-c.Top)*float64(v)/float64(top))
}

// niceScale returns an axis top at or above maxV and a step of 1, 2 or 5
// times a power of ten giving at most five intervals.
func niceScale(maxV int) (top, step int) {
	if maxV <= 0 {
		return 4, 1
	}
	for mag := 1; ; mag *= 10 {
		for _, m := range []int{1, 2, 5} {
			step = m * mag
			top = (maxV + step - 1) / step * step
			if top/step <= 5 {
				return top, step
			}
		}
	}
}

func coord(x, y float64) string { return fmt.Sprintf("%.1f,%.1f", x, y) }

func round1(f float64) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.1f", f), 64)
	return v
}

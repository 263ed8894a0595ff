package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/posture"
)

// scoreChart is an SVG line chart of a posture score (0–100) by day, laid
// out on the server like the home page's findings chart; a table stands
// in for it for screen readers.
type scoreChart struct {
	ID            string
	Title, Desc   string
	Width, Height int
	Left, Right   float64
	Top, Bottom   float64
	YTicks        []chartTick
	XTicks        []chartTick
	Line          string // polyline points (days without a score break nothing: they are left out)
	Dots          []chartDot
	Rows          []scoreRow
}

type scoreRow struct{ Label, Score string }

func scoreText(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func newScoreChart(id, what string, pts []posture.Point) scoreChart {
	c := scoreChart{ID: id, Width: chartWidth, Height: chartHeight, Left: 56, Right: chartWidth - 8, Top: 24, Bottom: chartHeight - 36}
	c.Title = "Posture score by day, " + what
	for v := 0; v <= 100; v += 25 {
		c.YTicks = append(c.YTicks, chartTick{Pos: c.y(float64(v)), Label: strconv.Itoa(v)})
	}
	var line []string
	var first, last *posture.Point
	for i, p := range pts {
		label := p.Date
		if d, err := time.Parse(time.DateOnly, p.Date); err == nil {
			label = d.Format("2 Jan 2006")
		}
		c.Rows = append(c.Rows, scoreRow{Label: label, Score: scoreText(p.Score)})
		x := c.x(i, len(pts))
		if p.Score != nil {
			y := c.y(*p.Score)
			line = append(line, coord(x, y))
			c.Dots = append(c.Dots, chartDot{X: round1(x), Y: y})
			if first == nil {
				first = &pts[i]
			}
			last = &pts[i]
		}
		step := max(1, len(pts)/6)
		if i%step == 0 || i == len(pts)-1 {
			anchor := "middle"
			switch {
			case i == 0:
				anchor = "start"
			case i == len(pts)-1:
				anchor = "end"
			}
			if i == len(pts)-1 && i%step != 0 && i-i%step > len(pts)-1-step/2 {
				c.XTicks = c.XTicks[:len(c.XTicks)-1] // no overlapping labels at the end
			}
			if d, err := time.Parse(time.DateOnly, p.Date); err == nil {
				c.XTicks = append(c.XTicks, chartTick{Pos: round1(x), Label: d.Format("2 Jan"), Anchor: anchor})
			}
		}
	}
	c.Line = strings.Join(line, " ")
	switch {
	case first == nil:
		c.Desc = "No score yet."
	case first == last:
		c.Desc = fmt.Sprintf("The score was %s on %s.", scoreText(first.Score), first.Date)
	default:
		c.Desc = fmt.Sprintf("The score went from %s on %s to %s on %s.", scoreText(first.Score), first.Date, scoreText(last.Score), last.Date)
	}
	return c
}

func (c scoreChart) x(i, n int) float64 {
	if n < 2 {
		return (c.Left + c.Right) / 2
	}
	return c.Left + (c.Right-c.Left)*float64(i)/float64(n-1)
}

func (c scoreChart) y(v float64) float64 {
	return round1(c.Bottom - (c.Bottom-c.Top)*v/100)
}

// leagueChart is an SVG bar chart of agencies' scores, best first.
type leagueChart struct {
	Title, Desc   string
	Width, Height int
	Left, Right   float64
	Bars          []leagueBar
}

type leagueBar struct {
	Agency, Score string
	Y, Width      float64
	TextX         float64
}

const leagueBarHeight = 22

func newLeagueChart(rows []posture.Posture) leagueChart {
	c := leagueChart{Title: "Posture score by agency", Width: chartWidth, Left: 72, Right: chartWidth - 48}
	c.Height = 16 + len(rows)*(leagueBarHeight+6)
	for i, p := range rows {
		b := leagueBar{Agency: p.Agency, Score: scoreText(p.Score), Y: float64(8 + i*(leagueBarHeight+6))}
		if p.Score != nil {
			b.Width = round1((c.Right - c.Left) * *p.Score / 100)
		}
		b.TextX = round1(c.Left + b.Width + 6)
		c.Bars = append(c.Bars, b)
	}
	if len(rows) > 0 {
		c.Desc = fmt.Sprintf("%d agencies; the highest score is %s (%s), the lowest %s (%s).", len(rows),
			scoreText(rows[0].Score), rows[0].Agency, scoreText(rows[len(rows)-1].Score), rows[len(rows)-1].Agency)
	} else {
		c.Desc = "No agencies."
	}
	return c
}

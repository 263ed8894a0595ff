package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/severity"
)

// stackChart is an SVG of horizontal bars, one per agency, each split by
// alert level, laid out on the server and coloured by kubu.css.
type stackChart struct {
	ID, Title, Desc string
	Width, Height   int
	Left, Right     float64
	Bars            []stackBar
	Legend          []stackLegend
	Levels          []string   // the columns of the stand-in table
	Rows            []stackRow // the stand-in table
}

type stackBar struct {
	Label, Total string
	Y, LabelY    float64
	TotalX       float64
	Segs         []stackSeg
}

type stackSeg struct {
	Class      string
	X, W       float64
	Title      string
	Level      string
	N          int
	Href       string
	Y, H       float64
	LabelInner bool
}

type stackLegend struct {
	Class, Label string
	X            float64
}

type stackRow struct {
	Label  string
	Counts []int
	Total  int
}

const (
	stackBarH   = 22.0
	stackBarGap = 12.0
	stackTop    = 40.0
)

// newAlertStack lays out the active alert counts by agency (rows) and
// level (segments, most severe first).
func newAlertStack(id string, counts []detect.AlertCount) stackChart {
	levels := slices.Clone(severity.Levels)
	slices.Reverse(levels) // critical first
	by := map[string]map[string]int{}
	var agencies []string
	for _, c := range counts {
		if by[c.Agency] == nil {
			by[c.Agency] = map[string]int{}
			agencies = append(agencies, c.Agency)
		}
		by[c.Agency][severity.Level(c.Level)] += c.N
	}
	slices.Sort(agencies)
	c := stackChart{ID: id, Width: chartWidth, Left: 96, Right: chartWidth - 48, Levels: levels, Title: "Open and acknowledged alerts by agency and level"}
	maxT, total := 0, 0
	for _, ag := range agencies {
		r := stackRow{Label: ag}
		for _, l := range levels {
			r.Counts = append(r.Counts, by[ag][l])
			r.Total += by[ag][l]
		}
		maxT = max(maxT, r.Total)
		total += r.Total
		c.Rows = append(c.Rows, r)
	}
	c.Height = int(stackTop + float64(max(len(agencies), 1))*(stackBarH+stackBarGap) + 8)
	for i, l := range levels {
		c.Legend = append(c.Legend, stackLegend{Class: "bar-" + l, Label: humanise(l), X: float64(i) * 118})
	}
	for i, r := range c.Rows {
		y := stackTop + float64(i)*(stackBarH+stackBarGap)
		b := stackBar{Label: r.Label, Total: strconv.Itoa(r.Total), Y: y, LabelY: round1(y + stackBarH/2 + 5)}
		x := c.Left
		for j, n := range r.Counts {
			if n == 0 {
				continue
			}
			w := round1((c.Right - c.Left) * float64(n) / float64(maxT))
			b.Segs = append(b.Segs, stackSeg{Class: "bar-" + levels[j], X: round1(x), W: w, Y: y, H: stackBarH, N: n, Level: levels[j],
				Title: fmt.Sprintf("%s: %d %s", r.Label, n, levels[j])})
			x += w
		}
		b.TotalX = round1(x + 6)
		c.Bars = append(c.Bars, b)
	}
	if total == 0 {
		c.Desc = "No open or acknowledged alerts."
	} else {
		var parts []string
		for _, r := range c.Rows {
			parts = append(parts, fmt.Sprintf("%s %d", r.Label, r.Total))
		}
		c.Desc = fmt.Sprintf("%d alerts not closed: %s.", total, strings.Join(parts, ", "))
	}
	return c
}

// sparkline is a small SVG line of a source's events per minute.
type sparkline struct {
	Width, Height int
	Points        string
	Desc          string
}

const (
	sparkW = 180
	sparkH = 32
)

func newSparkline(r detect.SourceRate) sparkline {
	s := sparkline{Width: sparkW, Height: sparkH}
	var maxV int64
	for _, v := range r.PerMinute {
		maxV = max(maxV, v)
	}
	n := len(r.PerMinute)
	pts := make([]string, 0, n)
	for i, v := range r.PerMinute {
		x := 0.0
		if n > 1 {
			x = float64(sparkW) * float64(i) / float64(n-1)
		}
		y := float64(sparkH - 2)
		if maxV > 0 {
			y = float64(sparkH-2) - float64(sparkH-4)*float64(v)/float64(maxV)
		}
		pts = append(pts, coord(x, y))
	}
	s.Points = strings.Join(pts, " ")
	s.Desc = fmt.Sprintf("%d events in %d minutes, at most %d in a minute", r.Total, n, maxV)
	return s
}

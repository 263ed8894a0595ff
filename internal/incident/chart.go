package incident

import (
	"math"
	"strings"
	"time"
)

// ClockChart is a horizontal bar chart of an incident's clocks, laid out on
// the server (the report and the incident page draw it as SVG): for each
// clock a bar of the time it took (or has run so far) and a mark at its
// target.
type ClockChart struct {
	Width, Height int
	Left, Right   float64 // the plot area, in the viewBox's units
	Top, Bottom   float64
	Bars          []ClockBar
	Ticks         []ClockTick
	Title, Desc   string
}

// ClockBar is one clock's bar.
type ClockBar struct {
	Label          string
	Y, H           float64 // top and height of the bar
	W              float64 // its length
	TargetX        float64 // the target mark
	TextY          float64
	Value          string // what the bar says
	Inside         bool   // the value is written inside the bar's end (no room after it)
	Breached       bool
	Running        bool
	LabelX, ValueX float64
}

// ClockTick is a gridline and its label.
type ClockTick struct {
	X     float64
	Label string
}

// NewClockChart lays out the clocks at now.
func NewClockChart(c ClockState, now time.Time) ClockChart {
	ch := ClockChart{Width: 640, Height: 190, Left: 110, Right: 620, Top: 24, Bottom: 160, Title: "Response times against targets"}
	rows := ClockRows(c, now)
	end := now
	if c.ClosedAt != nil {
		end = *c.ClosedAt
	}
	elapsed := max(int64(end.Sub(c.StartedAt)/time.Second), 0)
	type v struct{ taken, target int64 }
	vals := []v{{deref64(c.TimeToAck, elapsed), c.TargetAckS}, {deref64(c.TimeToContain, elapsed), c.TargetContainS}, {deref64(c.TimeToRecover, elapsed), c.TargetRecoverS}}
	top := int64(1)
	for _, x := range vals {
		top = max(top, x.taken, x.target)
	}
	scaleTop := niceSeconds(top)
	x := func(s int64) float64 { return round1(ch.Left + (ch.Right-ch.Left)*float64(s)/float64(scaleTop)) }
	for i := 0; i <= 4; i++ {
		s := scaleTop * int64(i) / 4
		ch.Ticks = append(ch.Ticks, ClockTick{X: x(s), Label: HumanDuration(s)})
	}
	band := (ch.Bottom - ch.Top) / 3
	var desc []string
	for i, r := range rows {
		y := ch.Top + band*float64(i) + band*0.2
		b := ClockBar{Label: r.Name, Y: round1(y), H: round1(band * 0.6), W: round1(x(vals[i].taken) - ch.Left), TargetX: x(vals[i].target),
			TextY: round1(y + band*0.3 + 5), Breached: r.Breached, Running: r.Running, LabelX: ch.Left - 8}
		b.Value = r.Taken + " of " + r.Target
		if r.Breached {
			b.Value += " — breached"
		}
		// The value goes after the bar, before the target mark if it fits
		// there, else after the mark, else inside the bar's end.
		textW, barEnd := 5.6*float64(len([]rune(b.Value))), ch.Left+b.W
		switch {
		case barEnd+6+textW < b.TargetX-4 || barEnd >= b.TargetX:
			b.ValueX = round1(barEnd + 6)
		case b.TargetX+6+textW <= float64(ch.Width)-4:
			b.ValueX = round1(b.TargetX + 6)
		default:
			b.ValueX = round1(barEnd + 6)
		}
		if b.ValueX+textW > float64(ch.Width)-4 && b.W > textW+12 {
			b.ValueX, b.Inside = round1(barEnd-6), true
		}
		ch.Bars = append(ch.Bars, b)
		desc = append(desc, r.Name+": "+b.Value)
	}
	ch.Desc = strings.Join(desc, "; ") + "."
	return ch
}

func deref64(p *int64, otherwise int64) int64 {
	if p == nil {
		return otherwise
	}
	return *p
}

// niceSeconds rounds a duration up to a round axis top.
func niceSeconds(s int64) int64 {
	for _, step := range []int64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400} {
		if top := (s + step - 1) / step * step; top/step <= 8 {
			return max(top, step)
		}
	}
	return (s + 86400 - 1) / 86400 * 86400
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

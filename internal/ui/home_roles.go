package ui

import (
	"context"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// opsHome is the operations part of a home page: the alert queue, the log
// sources and the retro-hunts, for the roles that watch alerts.
type opsHome struct {
	Open, Unacked int
	Oldest        []detect.Alert // open, not yet acknowledged, longest waiting first
	OldestWait    string         // how long the first of them has waited
	Chart         stackChart
	Rates         []rateRow
	RateMinutes   int
	Silent        []detect.Source
	Sources       int
	Hunts         []detect.Hunt // running retro-hunts
	CanHunts      bool
}

type rateRow struct {
	Rate  detect.SourceRate
	Spark sparkline
	Last  int64 // events in the last whole minute
}

// Home page bounds.
const (
	homeRateMinutes = 60
	homeOldest      = 5
	homeReports     = 8
)

// opsHome gathers the operations figures the actor may see; nil when
// monitoring is absent or the actor watches no alerts.
func (u *ui) opsHome(ctx context.Context, a authz.Actor, now time.Time) (*opsHome, error) {
	if u.Monitoring == nil || u.Monitoring.Detect == nil || authz.ScopeOf(a, authz.AlertRead).None() {
		return nil, nil
	}
	det := u.Monitoring.Detect
	o := &opsHome{RateMinutes: homeRateMinutes}
	counts, err := det.ActiveAlertCounts(ctx, a)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		o.Open += c.N
		if c.Status == detect.StatusOpen {
			o.Unacked += c.N
		}
	}
	o.Chart = newAlertStack("alerts-by-agency", counts)
	if o.Oldest, err = det.OldestUnacknowledged(ctx, a, homeOldest); err != nil {
		return nil, err
	}
	if len(o.Oldest) > 0 {
		o.OldestWait = ago(now.Sub(o.Oldest[0].FirstSeen))
	}
	rates, err := det.EventRates(ctx, a, homeRateMinutes)
	if err != nil {
		return nil, err
	}
	for _, r := range rates {
		row := rateRow{Rate: r, Spark: newSparkline(r)}
		if n := len(r.PerMinute); n > 0 {
			row.Last = r.PerMinute[n-1]
		}
		o.Rates = append(o.Rates, row)
	}
	srcs, err := det.Sources(ctx, a)
	if err != nil {
		return nil, err
	}
	o.Sources = len(srcs)
	for _, s := range srcs {
		if s.Silent {
			o.Silent = append(o.Silent, s)
		}
	}
	if authz.ScopeOf(a, authz.HuntRead).None() {
		return o, nil
	}
	o.CanHunts = true
	hunts, err := det.ListHunts(ctx, a, "", 50)
	if err != nil {
		return nil, err
	}
	for _, h := range hunts.Items {
		if h.Status == detect.HuntRunning {
			o.Hunts = append(o.Hunts, h)
		}
	}
	return o, nil
}

// reportsHome is the reports part of a home page: the triage queue for
// triagers, a researcher's own reports.
type reportsHome struct {
	Heading, Empty, More, MoreLabel string
	Reports                         []disclosure.Report
}

func (u *ui) reportsHome(ctx context.Context, a authz.Actor) (*reportsHome, error) {
	if u.Community == nil || u.Community.Disclosure == nil {
		return nil, nil
	}
	sc := authz.ScopeOf(a, authz.ReportRead)
	var h *reportsHome
	var f disclosure.ReportFilter
	switch {
	case authz.Check(a, authz.ReportTriage, authz.Collection()) == nil:
		h = &reportsHome{Heading: "Reports waiting for triage", Empty: "No report is waiting for triage.",
			More: "/reports?status=new&status=needs-more-info&all=1", MoreLabel: "The whole triage queue"}
		f = disclosure.ReportFilter{Statuses: []string{"new", "needs-more-info"}, Limit: homeReports}
	case sc.OwnerID != "":
		h = &reportsHome{Heading: "Your reports", Empty: "You have not sent a report yet.", More: "/researcher", MoreLabel: "Your dashboard: reports and rewards"}
		f = disclosure.ReportFilter{Limit: homeReports}
	default:
		return nil, nil
	}
	res, err := u.Community.Disclosure.ListReports(ctx, a, f)
	if err != nil {
		return nil, err
	}
	h.Reports = res.Items
	return h, nil
}

// ago says a duration the way people do: "3 days", "5 hours", "12 minutes".
func ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	default:
		return "under a minute"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
